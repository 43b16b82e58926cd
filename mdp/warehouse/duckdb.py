"""DuckDB backend: the local warehouse file shared with dbt-duckdb."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from mdp.errors import WarehouseError
from mdp.warehouse import sql
from mdp.warehouse.base import (
    STATE_TABLE,
    ArrowData,
    LoadResult,
    TableChecksum,
    TableRef,
    Warehouse,
    check_key_profile,
    check_keys,
    iter_batches,
    only_partition,
    staging_name,
)

_D = sql.DUCKDB


class DuckDBWarehouse(Warehouse):
    """A DuckDB file. Open it for one unit of work: DuckDB allows one writing process at a time."""

    dialect_name = "duckdb"

    def __init__(self, path: Path | str, memory_limit: str | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection, opened on first use."""
        if self._con is None:
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = duckdb.connect(str(self.path))
            if self.memory_limit:
                # SET, not connect(config=...): DuckDB refuses a second in-process connection to
                # the file whose config differs from the first one's (dbt's, a task's)
                self._con.execute(f"set memory_limit = '{self.memory_limit}'")
        return self._con

    def _run(self, statement: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Execute and fetch everything: DuckDB refuses new work while a result is open."""
        return self.con.execute(statement, dict(params) if params else None).fetchall()

    def _scalar(self, statement: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row."""
        rows = self._run(statement, params)
        return rows[0][0] if rows else None

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _name(self, table: TableRef) -> str:
        return f"{_D.ident(table.schema)}.{_D.ident(table.name)}"

    def ensure_schema(self, schema: str) -> None:
        self._run(f"create schema if not exists {_D.ident(schema)}")

    def table_exists(self, table: str | TableRef) -> bool:
        ref = TableRef.parse(table)
        found = self._scalar(
            "select count(*) from information_schema.tables "
            "where table_schema = $schema and table_name = $name",
            {"schema": ref.schema, "name": ref.name},
        )
        return bool(found)

    def list_tables(self, schema: str) -> list[str]:
        rows = self._run(
            "select table_name from information_schema.tables where table_schema = $schema "
            "order by table_name",
            {"schema": schema},
        )
        return [row[0] for row in rows]

    def _columns(self, qualified: str) -> dict[str, str]:
        rows = self._run(f"describe {qualified}")
        return {row[0]: row[1] for row in rows}

    def _stage(self, table: TableRef, data: ArrowData) -> tuple[str, int]:
        """Copy the batches into a temporary table, one bounded batch at a time."""
        stage = _D.ident(staging_name(table))
        rows = 0
        try:
            for batch in iter_batches(data):
                if not batch.num_rows:
                    continue
                self.con.register("_mdp_batch", batch)
                try:
                    if rows == 0:
                        self._run(f"create temp table {stage} as select * from _mdp_batch")
                    else:
                        self._run(f"insert into {stage} by name select * from _mdp_batch")
                finally:
                    self.con.unregister("_mdp_batch")
                rows += batch.num_rows
        except BaseException:
            self._run(f"drop table if exists {stage}")
            raise
        return (stage, rows) if rows else ("", 0)

    def _validate_keys(self, table: TableRef, stage: str, keys: Sequence[str]) -> None:
        check_keys(table, list(self._columns(stage)), keys)
        profile_row = self._run(sql.key_profile_sql(_D, stage, keys))[0]
        profile = {
            "row_count": profile_row[0],
            "null_keys": profile_row[1],
            "duplicate_keys": profile_row[2],
        }
        duplicates = []
        if profile["duplicate_keys"]:
            duplicates = self._run(sql.duplicate_sample_sql(_D, stage, keys))
        check_key_profile(table, keys, profile, duplicates)

    def _prepare_target(self, table: TableRef, stage: str) -> list[str]:
        """Create the target or add the batch's new columns; return the batch's columns."""
        target = self._name(table)
        self.ensure_schema(table.schema)
        staged = self._columns(stage)
        if not self.table_exists(table):
            self._run(f"create table {target} as select * from {stage} limit 0")
            return list(staged)
        existing = self._columns(target)
        for column, dtype in staged.items():
            if column not in existing:
                self._run(f"alter table {target} add column {_D.ident(column)} {dtype}")
        return list(staged)

    def _in_transaction(self, table: TableRef, work: Any) -> Any:
        """Run `work()` in one transaction; on any error roll back and raise WarehouseError."""
        self._run("begin transaction")
        try:
            result = work()
            self._run("commit")
            return result
        except Exception as error:
            self._run("rollback")
            if isinstance(error, WarehouseError):
                raise
            raise WarehouseError(
                f"load into {table} failed and was rolled back: {error}"
            ) from error

    def merge(
        self,
        table: str | TableRef,
        data: ArrowData,
        keys: Sequence[str],
        *,
        partition_by: str | None = None,
    ) -> LoadResult:
        ref = TableRef.parse(table)
        stage, rows = self._stage(ref, data)
        if not rows:
            return LoadResult(str(ref), 0, 0, 0)
        try:
            self._validate_keys(ref, stage, keys)

            def work() -> LoadResult:
                columns = self._prepare_target(ref, stage)
                target = self._name(ref)
                matched = int(self._scalar(sql.matched_count_sql(_D, target, stage, keys)))
                self._run(sql.merge_sql(_D, target, stage, columns, keys))
                return LoadResult(str(ref), rows, rows - matched, matched)

            result: LoadResult = self._in_transaction(ref, work)
            return result
        finally:
            self._run(f"drop table if exists {stage}")

    def replace_partition(
        self,
        table: str | TableRef,
        data: ArrowData,
        *,
        column: str,
        value: date,
        cluster_by: Sequence[str] = (),
    ) -> LoadResult:
        return self.replace_partitions(table, {value: data}, column=column)

    def replace_partitions(
        self,
        table: str | TableRef,
        parts: Mapping[date, ArrowData],
        *,
        column: str,
        cluster_by: Sequence[str] = (),  # DuckDB tables are neither partitioned nor clustered
    ) -> LoadResult:
        """Delete the days and insert their rows in one transaction: all the days swap, or none
        does. Batches go straight into the table (no staging copy: nested exports are costly
        to copy twice); each is checked to belong to its day before it is written."""
        ref = TableRef.parse(table)
        target = self._name(ref)
        checked = (
            batch
            for day, data in sorted(parts.items())
            for batch in only_partition(ref, data, column, day)
        )

        def work() -> LoadResult:
            removed = 0
            if self.table_exists(ref):
                removed = int(
                    self._scalar(
                        f"delete from {target} where {_D.ident(column)} in "
                        "(select unnest($days::date[]))",
                        {"days": sorted(parts)},
                    )
                )
            rows = self._insert_stream(ref, checked)
            return LoadResult(str(ref), rows, inserted=rows, updated=0, deleted=removed)

        result: LoadResult = self._in_transaction(ref, work)
        return result

    def _insert_stream(self, table: TableRef, batches: Iterable[pa.RecordBatch]) -> int:
        """Insert batches with one statement per run of same-schema batches: DuckDB scans the
        stream once (a statement per batch costs ~1.5x on nested GA4 rows). A new schema first
        creates the table or adds its new columns. Returns the rows inserted."""
        target = self._name(table)
        rows = 0
        failure: list[BaseException] = []

        def counted(group: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            nonlocal rows
            try:
                for batch in group:
                    rows += batch.num_rows
                    yield batch
            except Exception as error:  # DuckDB would replace it with its own message
                failure.append(error)
                raise

        nonempty = (batch for batch in batches if batch.num_rows)
        for schema, group in groupby(nonempty, key=lambda batch: batch.schema):
            self.con.register("_mdp_batch", schema.empty_table())
            try:
                self._prepare_target(table, "_mdp_batch")
            finally:
                self.con.unregister("_mdp_batch")
            self.con.register(
                "_mdp_batch", pa.RecordBatchReader.from_batches(schema, counted(group))
            )
            try:
                self._run(f"insert into {target} by name select * from _mdp_batch")
            except duckdb.Error:
                if failure:
                    raise failure[0] from None
                raise
            finally:
                self.con.unregister("_mdp_batch")
        return rows

    def query(self, sql_text: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query (named parameters as `$name`) and return Arrow."""
        return self.con.sql(sql_text, params=dict(params) if params else None).to_arrow_table()

    def checksum(self, table: str | TableRef, exclude: Sequence[str] = ()) -> TableChecksum:
        ref = TableRef.parse(table)
        target = self._name(ref)
        columns = sorted(c for c in self._columns(target) if c not in set(exclude))
        row = self._run(sql.checksum_sql(_D, target, columns))[0]
        return TableChecksum(rows=int(row[0]), digest=str(row[1]))

    def get_state(self, key: str) -> str | None:
        if not self.table_exists(STATE_TABLE):
            return None
        value = self._scalar(
            f"select value from {self._name(TableRef.parse(STATE_TABLE))} where key = $key",
            {"key": key},
        )
        return None if value is None else str(value)
