"""Stream schemas: the fields a raw table promises, checked on every batch before it loads.

Unknown new fields are kept (in a JSON column) so nothing the source sends is lost; a missing
required field or an incompatible type fails the batch with a message naming the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaContractError
from .metadata import LOADED_AT

EXTRA_COLUMN = "_mdp_extra"


@dataclass(frozen=True)
class Field:
    """One column of a stream: name, Arrow type, and whether the source must always send it."""

    name: str
    type: pa.DataType
    required: bool = True


@dataclass(frozen=True)
class StreamSchema:
    """A raw table's contract: natural keys, fields, and the date column it is partitioned by."""

    table: str
    keys: tuple[str, ...]
    fields: tuple[Field, ...]
    partition_by: str | None = None
    known_extras: frozenset[str] = field(default_factory=frozenset)
    #: Clustering of the warehouse table when it has no natural keys (e.g. the GA4 export).
    cluster_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = {f.name for f in self.fields}
        missing = [k for k in self.keys if k not in names]
        if missing:
            raise ValueError(f"{self.table}: key(s) {missing} are not declared fields")

    @property
    def storage_partition(self) -> str:
        """The date column the warehouse partitions the table on: the stream's date, else the
        load time (entity tables: a dbt incremental then scans only the recent loads)."""
        return self.partition_by or LOADED_AT

    @property
    def clustering(self) -> tuple[str, ...]:
        """The columns the warehouse clusters the table on: the natural keys, else cluster_by."""
        return self.keys or self.cluster_by

    @property
    def arrow_schema(self) -> pa.Schema:
        """The conformed batch schema (declared fields, then the JSON column of extras)."""
        return pa.schema([(f.name, f.type) for f in self.fields] + [(EXTRA_COLUMN, pa.string())])

    def conform(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """Cast declared fields, null-fill optional ones, pack unknown fields into JSON."""
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        columns = [self._column(table, f) for f in self.fields]
        columns.append(self._extras(table))
        return pa.Table.from_arrays(columns, schema=self.arrow_schema)

    def _column(self, table: pa.Table, spec: Field) -> pa.ChunkedArray:
        if spec.name not in table.column_names:
            if spec.required:
                raise SchemaContractError(
                    f"{self.table}: required field {spec.name!r} is missing from the source "
                    f"batch (it has: {', '.join(table.column_names)})"
                )
            return pa.chunked_array([pa.nulls(table.num_rows, spec.type)])
        column = table.column(spec.name)
        if column.type == spec.type:
            return column
        try:
            return pc.cast(column, spec.type, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            raise SchemaContractError(
                f"{self.table}: field {spec.name!r} changed type: expected {spec.type}, "
                f"got {column.type} ({str(error).splitlines()[0]})"
            ) from None

    def _extras(self, table: pa.Table) -> pa.Array:
        declared = {f.name for f in self.fields}
        unknown = [
            c for c in table.column_names if c not in declared and c not in self.known_extras
        ]
        if not unknown:
            return pa.nulls(table.num_rows, pa.string())
        rows = table.select(unknown).to_pylist()
        return pa.array([json.dumps(r, default=str, sort_keys=True) for r in rows], pa.string())


def fields(*specs: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> tuple[Field, ...]:
    """Shorthand: fields(("id", pa.string()), ("reach", pa.int64(), False))."""
    return tuple(Field(*spec) for spec in specs)
