"""The declarative mapping (mapping.yml): score-table columns to CRM fields, per target."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import MappingError

DEFAULT_PATH = Path(__file__).with_name("mapping.yml")
TARGETS = ("salesforce", "hubspot")
Target = Literal["salesforce", "hubspot"]
FieldType = Literal["number", "integer", "string", "datetime", "date"]
#: Separator of a `join` field (e.g. the three reasons in one text field).
JOIN_SEPARATOR = "; "


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where the values come from: one row per key (the latest by `latest_by`)."""

    table: str
    key: str
    latest_by: str | None = None
    filter: dict[str, str | int | float | bool] = Field(default_factory=dict)


class SalesforceTarget(_Strict):
    object: str
    external_id_field: str = "Id"


class HubSpotTarget(_Strict):
    object: Literal["contacts", "companies"]
    match_property: str
    id_property: str


class FieldMap(_Strict):
    """One CRM field and the warehouse column(s) it is filled from."""

    column: str | None = None
    join: tuple[str, ...] = ()
    type: FieldType
    salesforce: str | None = None
    hubspot: str | None = None
    min_change: float | Literal["score"] | None = None
    triggers_sync: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> FieldMap:
        if (self.column is None) == (not self.join):
            raise ValueError("give either `column` or `join`, not both or neither")
        if self.min_change is not None and self.type not in ("number", "integer"):
            raise ValueError("min_change applies to number and integer fields only")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.column else self.join

    @property
    def name(self) -> str:
        return self.column or "+".join(self.join)

    def crm_field(self, target: Target) -> str | None:
        return self.salesforce if target == "salesforce" else self.hubspot

    def threshold(self, min_score_change: float) -> float:
        """The smallest change of this number that makes its record worth re-sending."""
        if self.min_change == "score":
            return min_score_change
        return float(self.min_change or 0.0)


class ObjectMap(_Strict):
    """One score table synced to one CRM object per target."""

    name: str
    source: Source
    salesforce: SalesforceTarget | None = None
    hubspot: HubSpotTarget | None = None
    fields: tuple[FieldMap, ...]

    def fields_for(self, target: Target) -> list[tuple[FieldMap, str]]:
        """The mapped fields this target writes, with their CRM names."""
        return [(f, name) for f in self.fields if (name := f.crm_field(target))]

    def crm_object(self, target: Target) -> str:
        section = self.salesforce if target == "salesforce" else self.hubspot
        assert section is not None
        return section.object


class Mapping(_Strict):
    objects: tuple[ObjectMap, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> Mapping:
        names = [o.name for o in self.objects]
        if len(set(names)) != len(names):
            raise ValueError(f"object names must be unique, got {names}")
        return self

    def for_target(self, target: Target) -> list[ObjectMap]:
        """The objects with a section for `target` and at least one field it writes."""
        return [o for o in self.objects if getattr(o, target) is not None and o.fields_for(target)]


def load_mapping(path: Path | None = None) -> Mapping:
    """Parse and validate the mapping YAML (MappingError names the problem and the file)."""
    path = path or DEFAULT_PATH
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"cannot read the CRM mapping {path}: {error}") from None
    try:
        return Mapping.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise MappingError(f"invalid CRM mapping {path}: {problems}") from None


def check_target(target: str) -> Target:
    if target not in TARGETS:
        raise MappingError(f"unknown CRM {target!r}; targets: {', '.join(TARGETS)}")
    return target  # type: ignore[return-value]
