"""The CRM state the emulator serves: one row list per sObject, shared by every API, thread-safe."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sandbox.world.ids import SF_PREFIX, salesforce_ids

from .schema import FieldSpec, ObjectSchema, schema_for

#: First sequence number of records created through the API (far above the world's Ids).
_FIRST_NEW_ID = 900_000_000


@dataclass
class SObjectTable:
    """The records of one sObject, with an Id → position index."""

    schema: ObjectSchema
    rows: list[dict[str, Any]]
    index: dict[str, int] = field(init=False)
    created: int = 0

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the Id index (after rows are removed)."""
        self.index = {row["Id"]: i for i, row in enumerate(self.rows)}

    def new_id(self) -> str:
        self.created += 1
        if self.schema.name in SF_PREFIX:
            return str(salesforce_ids(self.schema.name, 1, first=_FIRST_NEW_ID + self.created)[0])
        return f"{self.schema.key_prefix}8d0{_FIRST_NEW_ID + self.created:09d}AAA"

    def append(self, row: dict[str, Any]) -> None:
        self.index[row["Id"]] = len(self.rows)
        self.rows.append(row)


class Store:
    """All sObjects; hold `locked()` while reading or writing rows."""

    def __init__(self, tables: dict[str, SObjectTable]) -> None:
        self.tables = tables
        self._by_lower = {name.lower(): name for name in tables}
        self._lock = threading.RLock()
        self._last_stamp = max(
            (
                row["SystemModstamp"]
                for t in tables.values()
                for row in t.rows
                if row.get("SystemModstamp") is not None
            ),
            default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        )

    @classmethod
    def from_arrow(
        cls,
        tables: dict[str, pa.Table],
        external_ids: dict[str, frozenset[str]] | None = None,
        defined: dict[str, dict[str, FieldSpec]] | None = None,
    ) -> Store:
        """sObject name → Arrow table (columns named as Salesforce API fields); `defined`: the
        fields an admin created with explicit metadata, per sObject."""
        external, metadata = external_ids or {}, defined or {}
        return cls(
            {
                name: _load(name, table, external.get(name, frozenset()), metadata.get(name))
                for name, table in tables.items()
            }
        )

    def resolve(self, name: str) -> SObjectTable | None:
        """The sObject for a name in any case, or None."""
        canonical = self._by_lower.get(name.lower())
        return self.tables[canonical] if canonical else None

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            yield

    def stamp(self) -> dt.datetime:
        """The time of a write: wall clock, but always after every stamp already in the store, so
        incremental readers see API writes as the newest changes (millisecond precision)."""
        with self._lock:
            now = dt.datetime.now(dt.UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            self._last_stamp = max(now, self._last_stamp + dt.timedelta(milliseconds=1))
            return self._last_stamp


def _load(
    name: str,
    table: pa.Table,
    external_ids: frozenset[str],
    defined: dict[str, FieldSpec] | None = None,
) -> SObjectTable:
    schema = schema_for(name, table, external_ids, defined)
    rows = table.to_pylist()
    for row in rows:
        row.setdefault("IsDeleted", False)
    return SObjectTable(schema, rows)
