"""CRM field metadata and the type check every mapped field passes before a run sends anything."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .errors import CrmFieldError
from .mapping import ObjectMap, Target

#: Mapping type → the CRM field types it may be written to.
COMPATIBLE: dict[Target, dict[str, frozenset[str]]] = {
    "salesforce": {
        "number": frozenset({"double", "currency", "percent"}),
        "integer": frozenset({"int", "double", "currency", "percent"}),
        "string": frozenset({"string", "textarea", "picklist"}),
        "datetime": frozenset({"datetime"}),
        "date": frozenset({"date"}),
    },
    "hubspot": {
        "number": frozenset({"number"}),
        "integer": frozenset({"number"}),
        "string": frozenset({"string", "enumeration"}),
        "datetime": frozenset({"datetime"}),
        "date": frozenset({"date", "datetime"}),
    },
}


@dataclass(frozen=True)
class FieldInfo:
    """One CRM field as its describe reports it (Salesforce describe, HubSpot properties)."""

    name: str
    type: str
    writable: bool
    options: tuple[str, ...] = ()
    length: int = 0
    restricted: bool = False  # a Salesforce restricted picklist refuses other values
    digits: int | None = None  # whole-number digits a number field holds (precision - scale)


def field_problems(target: Target, obj: ObjectMap, described: Mapping[str, FieldInfo]) -> list[str]:
    """Each mapped field the CRM lacks, cannot write, or types differently."""
    problems = []
    for field_map, name in obj.fields_for(target):
        info = described.get(name)
        allowed = COMPATIBLE[target][field_map.type]
        if info is None:
            problems.append(f"{name}: no such field")
        elif not info.writable:
            problems.append(f"{name}: read-only in the CRM")
        elif info.type not in allowed:
            problems.append(
                f"{name}: CRM type {info.type!r} cannot hold {field_map.type} column "
                f"{field_map.name!r} (needs one of {', '.join(sorted(allowed))})"
            )
        elif info.options and (absent := [o for o in field_map.options if o not in info.options]):
            problems.append(f"{name}: its values {info.options} lack {absent}")
    return problems


def check_fields(
    target: Target, objects: list[ObjectMap], described: Mapping[str, Mapping[str, FieldInfo]]
) -> None:
    """Raise CrmFieldError naming every mapped field of every object that does not fit the CRM;
    nothing is sent when one field is wrong."""
    problems = [
        f"{obj.crm_object(target)}.{problem} (mapping {obj.name!r})"
        for obj in objects
        for problem in field_problems(target, obj, described[obj.crm_object(target)])
    ]
    if problems:
        raise CrmFieldError(
            f"the {target} fields do not fit the mapping: {'; '.join(problems)}. Create or fix "
            "the fields in the CRM, or change the mapping (activation/crm/mapping.yml)."
        )


def check_values(
    target: Target,
    obj: ObjectMap,
    described: Mapping[str, FieldInfo],
    records: Mapping[str, Mapping[str, object]],
) -> None:
    """Raise CrmFieldError when a value falls outside a picklist/enumeration's options or a text
    field's length, before anything is sent."""
    problems = []
    for _, name in obj.fields_for(target):
        info = described[name]
        values = {v for r in records.values() if isinstance(v := r.get(name), str)}
        if info.options and (target == "hubspot" or info.restricted):
            bad = sorted(values - set(info.options))
            if bad:
                problems.append(f"{name}: {bad[:5]} not among its options {list(info.options)}")
        if info.length and any(len(v) > info.length for v in values):
            problems.append(f"{name}: a value is longer than its {info.length} characters")
        numbers = [abs(v) for r in records.values() if isinstance(v := r.get(name), int | float)]
        if info.digits is not None and numbers and max(numbers) >= 10**info.digits:
            problems.append(f"{name}: {max(numbers):,} has more than its {info.digits} digits")
    if problems:
        raise CrmFieldError(
            f"{target} values of mapping {obj.name!r} do not fit: {'; '.join(problems)}"
        )
