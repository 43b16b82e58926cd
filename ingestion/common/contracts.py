"""Schema contracts per stream (ingestion/contracts.yml) and the log of schema changes seen.

A contract says what an undeclared new field gets (`evolve`, `discard`, `freeze`) and which
source field names are declared renames of contract fields. Every change a run detects (a field
added, removed, renamed or retyped) is merged into `mdp_meta.schema_changes`, one row per change,
with when it was first and last seen, so an analyst can see what a source did to its schema.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import pyarrow as pa
import yaml

from mdp import PROJECT_ROOT
from mdp.errors import ConfigError
from mdp.warehouse import Warehouse

from .schema import NewFields, StreamSchema

log = logging.getLogger(__name__)

CONTRACTS_FILE = PROJECT_ROOT / "ingestion" / "contracts.yml"
CHANGES_TABLE = "mdp_meta.schema_changes"
ChangeKind = Literal["added", "removed", "renamed", "retyped"]
_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Contract:
    """One stream's contract."""

    new_fields: NewFields = "evolve"
    renames: Mapping[str, str] = field(default_factory=dict)

    def apply(self, schema: StreamSchema) -> StreamSchema:
        return schema.with_contract(self.new_fields, self.renames)


@dataclass(frozen=True)
class SchemaChange:
    """A change of one field of one stream, and what the run did about it."""

    field: str
    kind: ChangeKind
    detail: str
    action: str


def _policy(value: Any, where: str) -> NewFields:
    allowed = get_args(NewFields)
    if value not in allowed:
        raise ConfigError(f"{where}: new_fields must be one of {', '.join(allowed)}, got {value!r}")
    return value


@cache
def _load(path: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read the schema contracts {path}: {error}") from None
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: expected a mapping of source → stream → contract")
    return spec


def contract(source: str, stream: str, path: Path = CONTRACTS_FILE) -> Contract:
    """The contract of `source`'s `stream`: the stream's entry over the defaults."""
    spec = _load(path)
    defaults = spec.get("defaults") or {}
    entry = (spec.get(source) or {}).get(stream) or {}
    where = f"{path.name}: {source}.{stream}"
    renames = entry.get("renames") or {}
    if not isinstance(renames, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in renames.items()
    ):
        raise ConfigError(f"{where}: renames must map a new field name to a declared one")
    policy = _policy(entry.get("new_fields", defaults.get("new_fields", "evolve")), where)
    return Contract(policy, renames)


def record_changes(
    warehouse: Warehouse,
    source: str,
    stream: str,
    changes: Iterable[SchemaChange],
    run_id: str,
) -> None:
    """Log each change as a warning and merge it into mdp_meta.schema_changes (first seen
    kept, last seen and run moved on), so a rerun records no new row."""
    changes = list(changes)
    if not changes:
        return
    now = datetime.now(UTC)
    first_seen = _first_seen(warehouse, source, stream)
    for change in changes:
        log.warning(
            "schema change in %s %s: field %r %s (%s); %s",
            source,
            stream,
            change.field,
            change.kind,
            change.detail,
            change.action,
        )
    table = pa.table(
        {
            "source": [source] * len(changes),
            "stream": [stream] * len(changes),
            "field": [c.field for c in changes],
            "change": [c.kind for c in changes],
            "detail": [c.detail for c in changes],
            "action": [c.action for c in changes],
            "first_seen_at": pa.array(
                [first_seen.get((c.field, c.kind), now) for c in changes], _TS
            ),
            "last_seen_at": pa.array([now] * len(changes), _TS),
            "last_run_id": [run_id] * len(changes),
        }
    )
    warehouse.merge(CHANGES_TABLE, table, keys=["source", "stream", "field", "change"])


def _first_seen(warehouse: Warehouse, source: str, stream: str) -> dict[tuple[str, str], datetime]:
    if not warehouse.table_exists(CHANGES_TABLE):
        return {}
    name = warehouse.qualified_name(CHANGES_TABLE)
    rows = warehouse.query(f"select * from {name}").to_pylist()  # a handful of rows
    return {
        (r["field"], r["change"]): r["first_seen_at"]
        for r in rows
        if r["source"] == source and r["stream"] == stream
    }
