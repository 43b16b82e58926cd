"""DuckDB backend: the local warehouse file shared with dbt-duckdb."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date
from itertools import groupby
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from mdp.errors import (
    WarehouseBusyError,
    WarehouseError,
    WarehouseFullError,
    WarehouseUnavailableError,
)
from mdp.warehouse import sql
from mdp.warehouse.base import (
    STATE_TABLE,
    ArrowData,
    LoadResult,
    StateEntry,
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
log = logging.getLogger(__name__)

# What DuckDB says when another process holds the file, e.g. 'Could not set lock on file
# "/x/w.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 42). See also …'
_LOCKED = re.compile(r'Could not set lock on file "(?P<file>[^"]+)"')
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
# The OS's words for a write that found no room, and what each means for the user.
_NO_SPACE = (
    ("No space left on device", "the disk is full"),
    ("File too large", "the file size limit, ulimit -f, was reached"),
    ("Disk quota exceeded", "the disk quota is used up"),
)
_WRITTEN = re.compile(r'file "(?P<file>[^"]+)"')
_DURABLE = "COMMIT succeeded and is durable"


def busy_error(error: BaseException) -> WarehouseBusyError | None:
    """The named error for DuckDB's file-lock conflict (None for any other error)."""
    found = _LOCKED.search(str(error))
    if found is None:
        return None
    holder = _HOLDER.search(str(error))
    by = f" ({Path(holder['program']).name}, PID {holder['pid']})" if holder else ""
    return WarehouseBusyError(
        f"warehouse file {found['file']} is in use by another process{by}; wait for it "
        "to finish or close the program that has it open (a BI tool, a notebook, another mdp "
        "command), then retry"
    )


def full_error(
    what: str,
    error: BaseException,
    undone: str = "it was rolled back and the warehouse is as it was",
) -> WarehouseFullError | None:
    """The named error for a write that ran out of space (None for any other error); `undone`
    says what became of the failed write."""
    text = str(error)
    cause = next(((words, means) for words, means in _NO_SPACE if words in text), None)
    if cause is None:
        return None
    written = _WRITTEN.search(text)
    target = written["file"] if written else "the warehouse file"
    why = f"{cause[0]}: {cause[1]}"
    if _DURABLE in text:  # the commit reached DuckDB's log; only the checkpoint after it failed
        return WarehouseFullError(
            f"{what} was committed to DuckDB's log, but there was no space to write {target} "
            f"({why}); the log is replayed on the next open; free disk space or raise the "
            "limit, then rerun"
        )
    return WarehouseFullError(
        f"{what} failed: no space to write {target} ({why}); {undone}; free disk space or "
        "raise the limit, then rerun"
    )


def ensure_not_in_use(path: Path) -> None:
    """Raise WarehouseBusyError if another process holds the file (before handing it to a
    tool, such as dbt, that would print a traceback instead)."""
    if not path.exists():
        return
    with DuckDBWarehouse(path) as warehouse:
        warehouse.con.execute("select 1")  # opening the file is the check


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
            self._con = self._connect()
            if self.memory_limit:
                # SET, not connect(config=...): DuckDB refuses a second in-process connection to
                # the file whose config differs from the first one's (dbt's, a task's)
                self._con.execute(f"set memory_limit = '{self.memory_limit}'")
        return self._con

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Open (or create) the file; a held file or a full disk is a named error."""
        created = isinstance(self.path, Path) and not self.path.exists()
        try:
            return duckdb.connect(str(self.path))
        except duckdb.IOException as error:
            busy = busy_error(error)
            if busy is not None:
                raise busy from error
            undone = "the file keeps what it held"
            if created:
                undone = "the half-written new file was removed"
            full = full_error(f"opening the warehouse file {self.path}", error, undone)
            if full is None:
                raise
            if created:  # a half-written new file would refuse every later open
                for leftover in (Path(f"{self.path}.wal"), Path(str(self.path))):
                    leftover.unlink(missing_ok=True)
            raise full from error

    def _run(self, statement: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Execute and fetch everything: DuckDB refuses new work while a result is open."""
        return self.con.execute(statement, dict(params) if params else None).fetchall()

    def _scalar(self, statement: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row."""
        rows = self._run(statement, params)
        return rows[0][0] if rows else None

    def _quietly(self, cleanup: Callable[[], object]) -> None:
        """Clean up after a failure without replacing it: DuckDB refuses work in an aborted
        transaction or after a fatal error, and the temporary objects die with the connection."""
        try:
            cleanup()
        except duckdb.Error as error:
            log.debug("clean-up after a failed warehouse operation failed too: %s", error)

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
                    self._quietly(lambda: self.con.unregister("_mdp_batch"))
                rows += batch.num_rows
        except BaseException as error:
            self._quietly(lambda: self._run(f"drop table if exists {stage}"))
            full = full_error(f"staging the batch for {table}", error)
            if full is not None:
                raise full from error
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

    def _in_transaction(self, what: str, work: Callable[[], Any]) -> Any:
        """Run `work()` in one transaction; on any error roll back and raise a named error
        (WarehouseFullError when the disk or a size limit was the cause, else WarehouseError)
        that says what failed: `what`, e.g. "load into raw.t"."""
        self._run("begin transaction")
        try:
            result = work()
            self._run("commit")
            return result
        except Exception as error:
            # a failed COMMIT has already rolled back ("no transaction is active") and a fatal
            # error refuses any statement: the ROLLBACK must not replace the real cause
            self._quietly(lambda: self._run("rollback"))
            if isinstance(error, (WarehouseError, WarehouseUnavailableError)):
                raise
            full = full_error(what, error)
            if full is not None:
                raise full from error
            raise WarehouseError(f"{what} failed and was rolled back: {error}") from error

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

            result: LoadResult = self._in_transaction(f"load into {ref}", work)
            return result
        finally:
            self._quietly(lambda: self._run(f"drop table if exists {stage}"))

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

        result: LoadResult = self._in_transaction(f"load into {ref}", work)
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
                self._quietly(lambda: self.con.unregister("_mdp_batch"))
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
                self._quietly(lambda: self.con.unregister("_mdp_batch"))
        return rows

    def query(self, sql_text: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query (named parameters as `$name`) and return Arrow."""
        try:
            return self.con.sql(sql_text, params=dict(params) if params else None).to_arrow_table()
        except duckdb.Error as error:  # a big sort or join spills to disk, which can be full
            full = full_error("query", error)
            if full is None:
                raise
            raise full from error

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

    def list_state(self, prefix: str = "") -> list[StateEntry]:
        if not self.table_exists(STATE_TABLE):
            return []
        name = self._name(TableRef.parse(STATE_TABLE))
        stamped = "updated_at" in self._columns(name)
        when = "updated_at" if stamped else "null::timestamptz as updated_at"
        rows = self._run(
            f"select key, value, {when} from {name} where starts_with(key, $prefix) order by key",
            {"prefix": prefix},
        )
        return [
            StateEntry(str(key), str(value), None if at is None else at.astimezone(UTC))
            for key, value, at in rows
        ]

    def delete_state(self, key: str) -> bool:
        if not self.table_exists(STATE_TABLE):
            return False
        name = self._name(TableRef.parse(STATE_TABLE))
        deleted = self._in_transaction(
            f"deleting state key {key!r}",
            lambda: self._scalar(f"delete from {name} where key = $key", {"key": key}),
        )
        return bool(deleted)
