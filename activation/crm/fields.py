"""The field sheet for CRM admins, generated from mapping.yml: every field mdp writes, per CRM,
with its API name, the type to create and what it means.

    python -m activation.crm.fields > activation/crm/FIELDS.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from .mapping import TARGETS, FieldMap, Mapping, ObjectMap, Target, load_mapping

_TITLES = {"salesforce": "Salesforce", "hubspot": "HubSpot"}
_SOURCE_NOTE = {
    "salesforce": "upserted on `{key}` through Bulk API 2.0",
    "hubspot": "matched on `{match}`, upserted on `{key}` through batch upserts",
}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _type(field_map: FieldMap, target: Target) -> str:
    kind = field_map.salesforce_type if target == "salesforce" else field_map.hubspot_type
    kind = kind or field_map.type
    if field_map.options:
        kind += f": {', '.join(field_map.options)}"
    return kind


def _object_heading(obj: ObjectMap, target: Target) -> str:
    if target == "salesforce":
        assert obj.salesforce is not None
        note = _SOURCE_NOTE[target].format(key=obj.salesforce.external_id_field)
    else:
        assert obj.hubspot is not None
        note = _SOURCE_NOTE[target].format(
            match=obj.hubspot.match_property, key=obj.hubspot.id_property
        )
    scope = (
        "fields emptied when the record leaves the scope"
        if obj.on_leave == "clear"
        else "fields kept when the record leaves the scope"
    )
    return (
        f"### {obj.crm_object(target)} — `{obj.name}`\n\n"
        f"From `{obj.source.table}`"
        + (
            " where " + ", ".join(f"`{k} = {v}`" for k, v in obj.source.filter.items())
            if obj.source.filter
            else ""
        )
        + f", latest snapshot only; {note}; {scope}.\n"
    )


def field_sheet(mapping: Mapping) -> str:
    """The sheet as Markdown: one table per CRM and object."""
    lines = [
        "# CRM fields written by mdp",
        "",
        "Generated from `activation/crm/mapping.yml` (`python -m activation.crm.fields`); a test",
        "keeps this file equal to the mapping. Create these fields before the first sync: every",
        "run checks each one against the CRM's describe (Salesforce sObject describe, HubSpot",
        "properties API) and sends nothing when one is missing, read-only, of another type, or",
        "lacks a picklist value. Make them read-only for people: mdp overwrites them.",
        "",
    ]
    targets: tuple[Target, ...] = TARGETS  # type: ignore[assignment]
    for target in targets:
        objects = mapping.for_target(target)
        if not objects:
            continue
        lines += [f"## {_TITLES[target]}", ""]
        for obj in objects:
            lines += [_object_heading(obj, target)]
            lines += ["| field (API name) | type to create | label | what it means |"]
            lines += ["| --- | --- | --- | --- |"]
            for field_map, name in obj.fields_for(target):
                lines.append(
                    f"| `{name}` | {_cell(_type(field_map, target))} | "
                    f"{_cell(field_map.label)} | {_cell(field_map.description)} |"
                )
            lines.append("")
    return "\n".join(lines)


def main(path: Path | None = None) -> None:
    sys.stdout.write(field_sheet(load_mapping(path)))


if __name__ == "__main__":
    main()
