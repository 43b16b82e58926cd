"""The warehouse interface every backend implements, and the pieces they share."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self, TypeAlias

import pyarrow as pa

from mdp.errors import DuplicateKeyError, SchemaMismatchError, WarehouseError

#: What the load operations accept: one table, one batch, or a stream of batches.
ArrowData: TypeAlias = pa.Table | pa.RecordBatch | pa.RecordBatchReader | Iterable[pa.RecordBatch]

STATE_TABLE = "mdp_meta.state"


@dataclass(frozen=True)
class TableRef:
    """A logical `schema.table` name; each backend maps it to a physical location."""

    schema: str
    name: str

    @classmethod
    def parse(cls, value: str | TableRef) -> TableRef:
        """Accept 'schema.table' (or a TableRef) and refuse anything else."""
        if isinstance(value, TableRef):
            return value
        parts = value.split(".")
        if len(parts) != 2 or not all(p.replace("_", "").isalnum() for p in parts):
            raise WarehouseError(f"table name must look like 'schema.table', got {value!r}")
        return cls(parts[0], parts[1])

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class LoadResult:
    """What a merge or partition replacement did."""

    table: str
    rows: int
    inserted: int
    updated: int
    deleted: int = 0


@dataclass(frozen=True)
class StateEntry:
    """One stored state value and when it was last written (None when not recorded)."""

    key: str
    value: str
    updated_at: datetime | None


@dataclass(frozen=True)
class TableChecksum:
    """Order-independent fingerprint of a table's content."""

    rows: int
    digest: str


def iter_batches(data: ArrowData) -> Iterator[pa.RecordBatch]:
    """Yield record batches from any accepted input without materialising a stream."""
    if isinstance(data, pa.Table):
        yield from data.to_batches()
    elif isinstance(data, pa.RecordBatch):
        yield data
    else:
        yield from data


def only_partition(
    table: TableRef, data: ArrowData, column: str, value: date
) -> Iterator[pa.RecordBatch]:
    """Pass the batches through, refusing (SchemaMismatchError) a row outside partition `value`."""
    import pyarrow.compute as pc

    for batch in iter_batches(data):
        if column not in batch.schema.names:
            raise SchemaMismatchError(f"batch for {table} lacks partition column {column!r}")
        values = batch.column(column).cast(pa.date32())
        inside = pc.sum(pc.equal(values, pa.scalar(value, pa.date32()))).as_py() or 0
        if batch.num_rows - inside:
            raise SchemaMismatchError(
                f"batch for {table} partition {column}={value} has {batch.num_rows - inside} "
                "row(s) from other dates; nothing was replaced"
            )
        yield batch


def staging_name(table: TableRef) -> str:
    """A unique name for a batch's staging table."""
    return f"_stage_{table.name}_{uuid.uuid4().hex[:12]}"


def check_keys(table: TableRef, columns: Sequence[str], keys: Sequence[str]) -> None:
    """Refuse a merge whose keys are missing from the batch."""
    if not keys:
        raise WarehouseError(f"merge into {table} needs at least one key column")
    missing = [k for k in keys if k not in columns]
    if missing:
        raise SchemaMismatchError(
            f"batch for {table} lacks key column(s) {', '.join(missing)}; "
            f"it has: {', '.join(columns)}"
        )


def check_key_profile(
    table: TableRef, keys: Sequence[str], profile: Mapping[str, int], duplicates: list[Any]
) -> None:
    """Raise a named error when staged keys are null or duplicated."""
    if profile["null_keys"]:
        raise SchemaMismatchError(
            f"batch for {table} has {profile['null_keys']} row(s) with a null key "
            f"({', '.join(keys)}); nothing was merged"
        )
    if profile["duplicate_keys"]:
        raise DuplicateKeyError(
            f"batch for {table} has {profile['duplicate_keys']} duplicated key row(s) on "
            f"({', '.join(keys)}), e.g. {duplicates}; nothing was merged"
        )


class Warehouse(ABC):
    """One small interface over DuckDB (local) and BigQuery (production).

    Loads are idempotent and atomic: a batch is staged first, then applied in one statement or
    transaction, so a failure leaves the target as it was and a rerun gives the same table.
    """

    dialect_name: str

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def _name(self, table: TableRef) -> str:
        """The backend's quoted physical name of a logical table."""

    def qualified_name(self, table: str | TableRef) -> str:
        """The physical name to use for a logical `schema.table` in a hand-written query."""
        return self._name(TableRef.parse(table))

    @abstractmethod
    def ensure_schema(self, schema: str) -> None:
        """Create the schema (dataset) when it does not exist."""

    @abstractmethod
    def merge(
        self,
        table: str | TableRef,
        data: ArrowData,
        keys: Sequence[str],
        *,
        partition_by: str | None = None,
    ) -> LoadResult:
        """Upsert a batch on its natural keys: same batch twice, same table."""

    @abstractmethod
    def replace_partition(
        self,
        table: str | TableRef,
        data: ArrowData,
        *,
        column: str,
        value: date,
        cluster_by: Sequence[str] = (),
    ) -> LoadResult:
        """Atomically swap the rows of one date partition for the batch (a new table is
        partitioned on `column` and clustered on `cluster_by` where the backend can)."""

    def replace_partitions(
        self,
        table: str | TableRef,
        parts: Mapping[date, ArrowData],
        *,
        column: str,
        cluster_by: Sequence[str] = (),
    ) -> LoadResult:
        """Swap several date partitions, each for its own rows (a backfill's days in one go).

        Backends that can do it in one transaction override this; the default swaps one
        partition at a time, each atomically.
        """
        ref = TableRef.parse(table)
        results = [
            self.replace_partition(ref, data, column=column, value=day, cluster_by=cluster_by)
            for day, data in sorted(parts.items())
        ]
        return LoadResult(
            str(ref),
            sum(r.rows for r in results),
            inserted=sum(r.inserted for r in results),
            updated=0,
            deleted=sum(r.deleted for r in results),
        )

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query and return the result as Arrow."""

    @abstractmethod
    def table_exists(self, table: str | TableRef) -> bool:
        """Whether the table exists."""

    @abstractmethod
    def list_tables(self, schema: str) -> list[str]:
        """Names of the tables (and views) in a schema, sorted; empty when it does not exist."""

    @abstractmethod
    def checksum(self, table: str | TableRef, exclude: Sequence[str] = ()) -> TableChecksum:
        """Order-independent checksum over all columns but `exclude`."""

    @abstractmethod
    def get_state(self, key: str) -> str | None:
        """A stored state value (e.g. an incremental cursor), or None."""

    def set_state(self, key: str, value: str) -> None:
        """Store a state value (an idempotent merge on the key)."""
        row = pa.table(
            {
                "key": [key],
                "value": [value],
                "updated_at": pa.array([datetime.now(UTC)], type=pa.timestamp("us", tz="UTC")),
            }
        )
        self.merge(STATE_TABLE, row, keys=["key"])

    @abstractmethod
    def list_state(self, prefix: str = "") -> list[StateEntry]:
        """The stored state values whose key starts with `prefix` (literally), sorted by key."""

    @abstractmethod
    def delete_state(self, key: str) -> bool:
        """Remove a state value; whether there was one."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""
