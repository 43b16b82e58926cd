"""The declarative mapping (mapping.yml): score-table columns to CRM fields, per target."""

from __future__ import annotations

from pathlib import Path
from string import Formatter
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import MappingError

DEFAULT_PATH = Path(__file__).with_name("mapping.yml")
TARGETS = ("salesforce", "hubspot")
Target = Literal["salesforce", "hubspot"]
FieldType = Literal["number", "integer", "string", "datetime", "date"]
#: Separator of a `join` field: the three reasons, one per line of a long text field.
JOIN_SEPARATOR = "\n"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where the values come from: one row per key, from the latest `snapshot` only (a key
    missing from it has left the scope)."""

    table: str
    key: str
    snapshot: str | None = None
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
    template: str | None = None
    type: FieldType
    salesforce: str | None = None
    hubspot: str | None = None
    min_change: float | Literal["score"] | None = None
    triggers_sync: bool = True
    label: str = ""
    description: str = ""
    options: tuple[str, ...] = ()  # a picklist's values: the CRM field must offer them all
    salesforce_type: str = ""  # what a CRM admin creates (documentation: the field sheet)
    hubspot_type: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> FieldMap:
        given = [self.column is not None, bool(self.join), self.template is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of `column`, `join` or `template`")
        if self.min_change is not None and self.type not in ("number", "integer"):
            raise ValueError("min_change applies to number and integer fields only")
        if (self.join or self.template) and self.type != "string":
            raise ValueError("`join` and `template` make text: their type must be string")
        if self.template is not None and not self.columns:
            raise ValueError(f"template {self.template!r} names no {{column}}")
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        if self.template is not None:
            names = (name for _, name, _, _ in Formatter().parse(self.template) if name)
            return tuple(dict.fromkeys(names))
        return (self.column,) if self.column else self.join

    @property
    def name(self) -> str:
        return self.column or self.template or "+".join(self.join)

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
    on_leave: Literal["keep", "clear"] = "keep"
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
