"""Stream schemas: the fields a raw table promises, checked on every batch before it loads.

Unknown new fields follow the stream's contract (ingestion/contracts.yml): kept in a JSON column
(`evolve`, the default), dropped (`discard`) or refused (`freeze`). A declared rename reads the
new name into the declared column. A missing required field fails the whole batch (a schema
change); a value that cannot be cast to its field's type, or a float that is not finite, fails
only its own record, which is quarantined whole: it is never loaded with the value blanked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaChangeError, SchemaContractError
from .metadata import LOADED_AT

#: What a stream does with a field the source sends that its contract does not declare.
NewFields = Literal["evolve", "discard", "freeze"]

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
    #: Date/time fields of things that happened (created/modified stamps, metric days): each
    #: must lie between `earliest` and tomorrow, or its record is quarantined.
    event_times: tuple[str, ...] = ()
    earliest: date = date(2000, 1, 1)
    #: Contract: what an undeclared new field gets, and source name → declared name renames.
    new_fields: NewFields = "evolve"
    renames: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {f.name for f in self.fields}
        missing = [k for k in (*self.keys, *self.event_times) if k not in names]
        if missing:
            raise ValueError(f"{self.table}: field(s) {missing} are not declared fields")

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

    def with_contract(self, new_fields: NewFields, renames: Mapping[str, str]) -> StreamSchema:
        """This schema under a stream's contract (see ingestion/contracts.yml)."""
        return replace(self, new_fields=new_fields, renames=dict(renames))

    def conform(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """The batch conformed; SchemaContractError if any record cannot be (whole-batch use)."""
        result = self.conform_records(batch)
        if result.row_errors:
            first = min(result.row_errors)
            raise SchemaContractError(
                f"{len(result.row_errors)} record(s) do not fit the contract, e.g. row {first}: "
                f"{result.row_errors[first]}"
            )
        return result.table

    def conform_records(self, batch: pa.RecordBatch | pa.Table) -> Conformed:
        """Cast declared fields, null-fill optional ones, apply the new-field policy; records
        whose values cannot take their field's type are named in `row_errors` (their cells are
        null in `table`, so the loader must quarantine them, never load them)."""
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        table = self._renamed(table)
        errors: dict[int, list[str]] = {}
        columns = [self._column(table, f, errors) for f in self.fields]
        columns.append(self._extras(table))
        conformed = pa.Table.from_arrays(columns, schema=self.arrow_schema)
        return Conformed(conformed, {i: "; ".join(why) for i, why in sorted(errors.items())})

    def undeclared(self, names: list[str]) -> list[str]:
        """Source fields this stream does not declare (after renames), in source order."""
        declared = {f.name for f in self.fields} | set(self.known_extras)
        present = set(names)
        # a declared rename's new name is read into its field only while the old one is gone;
        # with both there, the new one is an ordinary new field (kept, never silently dropped)
        mapped = {
            new for new, old in self.renames.items() if old in declared and old not in present
        }
        return [n for n in names if n not in declared and n not in mapped]

    def _renamed(self, table: pa.Table) -> pa.Table:
        if not self.renames:
            return table
        names = table.column_names
        # a declared rename applies only while the source no longer sends the old name
        mapping = {new: old for new, old in self.renames.items() if old not in names}
        return table.rename_columns([mapping.get(n, n) for n in names])

    def _column(
        self, table: pa.Table, spec: Field, errors: dict[int, list[str]]
    ) -> pa.ChunkedArray:
        if spec.name not in table.column_names:
            if spec.required:
                raise SchemaContractError(
                    f"{self.table}: required field {spec.name!r} is missing from the source "
                    f"batch (it has: {', '.join(table.column_names)})"
                )
            return pa.chunked_array([pa.nulls(table.num_rows, spec.type)])
        column = table.column(spec.name)
        if column.type != spec.type:
            try:
                column = pc.cast(column, spec.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                column = self._cast_each(column, spec, errors)
        if pa.types.is_floating(spec.type):
            self._finite(column, spec, errors)
        return column

    def _cast_each(
        self, column: pa.ChunkedArray, spec: Field, errors: dict[int, list[str]]
    ) -> pa.ChunkedArray:
        """Cast value by value: the ones that cannot take the type become record errors."""
        values: list[object] = []
        for row, value in enumerate(column.to_pylist()):
            if value is None:
                values.append(None)
                continue
            try:
                cast = pc.cast(pa.array([value], column.type), spec.type, safe=True)
                values.append(cast[0].as_py())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                values.append(None)
                errors.setdefault(row, []).append(
                    f"field {spec.name!r}: {_short(value)} is not a {spec.type} "
                    f"(the source sends {column.type})"
                )
        return pa.chunked_array([pa.array(values, spec.type)])

    @staticmethod
    def _finite(column: pa.ChunkedArray, spec: Field, errors: dict[int, list[str]]) -> None:
        bad = pc.and_kleene(pc.invert(pc.is_finite(column)), pc.is_valid(column))
        if not pc.any(bad).as_py():
            return
        for row in pc.indices_nonzero(bad.combine_chunks()).to_pylist():
            value = column[row].as_py()
            kind = "NaN" if math.isnan(value) else "infinite"
            errors.setdefault(row, []).append(f"field {spec.name!r} is {kind}, not a number")

    def _extras(self, table: pa.Table) -> pa.Array:
        unknown = self.undeclared(table.column_names)
        if unknown and self.new_fields == "freeze":
            raise SchemaChangeError(
                f"{self.table}: the source sends new field(s) {', '.join(unknown)} and the "
                "stream's contract is `freeze`; declare them or set new_fields: evolve in "
                "ingestion/contracts.yml"
            )
        if not unknown or self.new_fields == "discard":
            return pa.nulls(table.num_rows, pa.string())
        rows = table.select(unknown).to_pylist()
        return pa.array([json.dumps(r, default=str, sort_keys=True) for r in rows], pa.string())


@dataclass(frozen=True)
class Conformed:
    """A batch in its contract's shape, and why each record that does not fit cannot load."""

    table: pa.Table
    row_errors: dict[int, str]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def fields(*specs: tuple[str, pa.DataType] | tuple[str, pa.DataType, bool]) -> tuple[Field, ...]:
    """Shorthand: fields(("id", pa.string()), ("reach", pa.int64(), False))."""
    return tuple(Field(*spec) for spec in specs)
