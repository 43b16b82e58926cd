"""An object's describe against its declared fields and its contract (ingestion/contracts.yml).

Compared at the start of each object's sync, before anything is read:

- a declared field describe no longer lists is read from its new name when the contract declares
  the rename (`renamed`); otherwise the object stops with a SchemaChangeError naming the field,
  the new fields that may be its new name and the contract line to add (`removed`), and its
  previous data and cursor stay. mdp's own write-back fields an org may lack load as null.
- a declared field whose describe type maps to another Arrow type is `retyped`: its values are
  cast record by record and those that do not fit are quarantined, never nulled.
- a field describe lists that the contract does not declare is kept in `_mdp_extra` (`evolve`),
  dropped (`discard`), or the object stops (`freeze`); it is recorded as `added` when it
  appeared since the object's previous run.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from ingestion.common.contracts import (
    CHANGES_TABLE,
    Contract,
    SchemaChange,
    record_changes,
)
from ingestion.common.schema import StreamSchema
from mdp.warehouse import Warehouse

from .objects import SOURCE
from .schema import SYNTHESIZED, ObjectStream, arrow_type

_ADDED = {
    "evolve": "kept in _mdp_extra",
    "discard": "discarded",
    "freeze": "stopped the object (contract: freeze)",
}
_CONTRACTS = "ingestion/contracts.yml"


@dataclass(frozen=True)
class Drift:
    """The schema to load an object with, why the object must stop before anything is read
    ("" when it may load), and what differs: from the declared contract (`changes`: renamed,
    retyped, removed), and fields beyond or missing from it that need no action (`extras`:
    undeclared fields, absent optional ones), news only when the org's describe changed."""

    schema: StreamSchema
    changes: tuple[SchemaChange, ...]
    stop: str = ""
    extras: tuple[SchemaChange, ...] = ()


def compare(stream: ObjectStream, contract: Contract, fields: Mapping[str, str]) -> Drift:
    """Describe's `fields` (name → describe type) against the object's declared fields."""
    schema = contract.apply(stream.schema)
    source_name = {old: new for new, old in contract.renames.items()}
    changes: list[SchemaChange] = []
    extras: list[SchemaChange] = []
    gone: list[str] = []
    for spec in schema.fields:
        name = spec.name if spec.name in fields else source_name.get(spec.name)
        if name is not None and name in fields:
            if name != spec.name:
                changes.append(
                    SchemaChange(
                        spec.name, "renamed", f"describe names it {name}", f"{name} mapped to it"
                    )
                )
            if arrow_type(fields[name]) != spec.type:
                changes.append(_retyped(spec.name, fields[name], spec.type))
        elif spec.name in stream.optional:
            extras.append(
                SchemaChange(spec.name, "removed", "not in describe", "loaded as null (optional)")
            )
        elif spec.name not in SYNTHESIZED:
            gone.append(spec.name)
    added = schema.undeclared(list(fields))
    action = _ADDED[schema.new_fields]
    extras += [SchemaChange(n, "added", _added_detail(n, fields, contract), action) for n in added]
    stop = ""
    if gone:
        changes += [
            SchemaChange(n, "removed", "not in describe", "stopped the object; data kept")
            for n in gone
        ]
        stop = _removed(stream, gone, added)
    elif added and schema.new_fields == "freeze":
        stop = _frozen(stream, added)
    return Drift(schema, tuple(changes), stop, tuple(extras))


def _retyped(name: str, kind: str, declared: object) -> SchemaChange:
    return SchemaChange(
        name,
        "retyped",
        f"describe type {kind}, declared {declared}",
        "cast record by record; values that do not fit are quarantined",
    )


def _added_detail(name: str, fields: Mapping[str, str], contract: Contract) -> str:
    """A new field's describe type; for a declared rename whose old name is still there too,
    that it is not read into the declared field."""
    old = contract.renames.get(name)
    if old is not None and old in fields:
        return f"describe type {fields[name]}; declared as the new name of {old}, still there"
    return f"describe type {fields[name]}"


def _removed(stream: ObjectStream, gone: list[str], added: list[str]) -> str:
    """One line: which declared fields describe lost, what may be their new names, and the
    contract line that maps them."""
    guesses = {name: difflib.get_close_matches(name, added, n=3, cutoff=0.6) for name in gone}
    plural = len(gone) > 1
    what = (
        f"Salesforce {stream.sobject}: declared field{'s' if plural else ''} {', '.join(gone)} "
        f"{'are' if plural else 'is'} no longer in describe (renamed or deleted in the org)"
    )
    keep = f"{stream.table} keeps its previous data and cursor until then"
    candidates = sorted({c for found in guesses.values() for c in found})
    if not candidates:
        return (
            f"{what}, and describe shows no new field with a similar name (new fields are "
            f"listed in {CHANGES_TABLE}); declare the new name under `salesforce: "
            f"{stream.sobject}: renames:` in {_CONTRACTS}, or restore the field in Salesforce, "
            f"or drop it from the declared fields in ingestion/salesforce/schema.py; {keep}"
        )
    renames = ", ".join(f"{found[0]}: {name}" for name, found in guesses.items() if found)
    return (
        f"{what}; new field{'s' if len(candidates) > 1 else ''} there: {', '.join(candidates)}. "
        f"If renamed, add to {_CONTRACTS}: `salesforce: {{{stream.sobject}: {{renames: "
        f"{{{renames}}}}}}}`; {keep}"
    )


def _frozen(stream: ObjectStream, added: list[str]) -> str:
    return (
        f"Salesforce {stream.sobject}: describe shows new field(s) {', '.join(added)} and the "
        f"object's contract is `freeze`; declare them in ingestion/salesforce/schema.py or set "
        f"`new_fields: evolve` (or discard) under `salesforce: {stream.sobject}:` in "
        f"{_CONTRACTS}; {stream.table} keeps its previous data and cursor until then"
    )


def record(
    warehouse: Warehouse, sobject: str, drift: Drift, fields: Mapping[str, str], run_id: str
) -> list[SchemaChange]:
    """Record (and warn about) what is news, once: a difference from the contract when first
    seen as it is now; an undeclared field when it appeared, or an optional field when it
    vanished, since the object's previous run (its describe is kept in mdp_meta.state as
    `salesforce.<Object>.fields`). At an object's first run the org's other fields are its
    schema as found, not a change. Returns the changes recorded."""
    key = f"{SOURCE}.{sobject}.fields"
    stored = warehouse.get_state(key)
    before = set(json.loads(stored)) if stored else None
    news = list(drift.changes)
    if before is not None:
        news += [e for e in drift.extras if e.kind == "added" and e.field not in before]
        news += [e for e in drift.extras if e.kind == "removed" and e.field in before]
    known = _recorded(warehouse, sobject)
    new = [c for c in news if known.get((c.field, c.kind)) != (c.detail, c.action)]
    record_changes(warehouse, SOURCE, sobject, new, run_id)
    warehouse.set_state(key, json.dumps(sorted(fields)))
    return new


def _recorded(warehouse: Warehouse, sobject: str) -> dict[tuple[str, str], tuple[str, str]]:
    if not warehouse.table_exists(CHANGES_TABLE):
        return {}
    name = warehouse.qualified_name(CHANGES_TABLE)
    rows = warehouse.query(f"select * from {name}").to_pylist()  # a handful of rows
    return {
        (r["field"], r["change"]): (r["detail"], r["action"])
        for r in rows
        if r["source"] == SOURCE and r["stream"] == sobject
    }
