"""The GA4 event export (`events_YYYYMMDD`) into raw.ga4_events: nested as is, a day at a time.

GA4 rewrites a day's export while it is still processing it, so each day is one partition that
is swapped whole (never appended to): a rerun or a later, more complete export replaces it. A day
first passes the quality gate (required columns and types, non-null ids, dates inside the day);
a failing day goes to quarantine.ga4_events with the reason and its partition is left untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.common.errors import SchemaContractError
from ingestion.common.loader import WindowResult, quarantine
from ingestion.common.metadata import LoadContext, stamp_all
from ingestion.common.quality import QualityGate, Rule, window_rules
from mdp.errors import WarehouseError
from mdp.warehouse import Warehouse

from .errors import ExportNotReadyError
from .schema import EVENTS_CONTRACT, EVENTS_TABLE, PARTITION_COLUMN

log = logging.getLogger(__name__)

RAW_EVENTS_TABLE = EVENTS_TABLE
BATCH_ROWS = 50_000
#: Flat columns the quality gate looks at (the nested ones are only type-checked).
CHECKED_COLUMNS = ("event_date", "event_timestamp", "event_name", "user_pseudo_id")
_EVENT_DAY = "event_day"
_FILE_DAY = "export_day"


class ExportSource(Protocol):
    """Where daily export tables come from: a local Parquet file of the day, however obtained."""

    def open_day(self, day: date) -> AbstractContextManager[Path]:
        """The day's export as a local Parquet file; ExportNotReadyError when there is none."""
        ...


def export_file(export_dir: Path, day: date) -> Path:
    """The daily export file the sandbox (or a GCS export) writes: events_YYYYMMDD.parquet."""
    return export_dir / f"events_{day:%Y%m%d}.parquet"


class FileExport:
    """Export files in a folder (the sandbox, or a GCS export synced to disk)."""

    def __init__(self, export_dir: Path | str) -> None:
        self.export_dir = Path(export_dir)

    @contextmanager
    def open_day(self, day: date) -> Iterator[Path]:
        path = export_file(self.export_dir, day)
        if not path.exists():
            raise ExportNotReadyError(
                f"no GA4 export for {day} at {path}: GA4 writes events_{day:%Y%m%d} about a "
                "day later"
            )
        yield path


def _contract_problem(file: pq.ParquetFile) -> str | None:
    """Required columns present with their export types (no Great Expectations needed)."""
    present = [c for c in (f.name for f in EVENTS_CONTRACT.fields) if c in file.schema_arrow.names]
    try:
        EVENTS_CONTRACT.conform(file.read(columns=present))
    except SchemaContractError as error:
        return str(error)
    return _changed_types(file.schema_arrow)


def _checked_columns(file: pq.ParquetFile, day: date) -> pa.Table:
    checked = file.read(columns=list(CHECKED_COLUMNS))
    parsed = pc.strptime(checked["event_date"], format="%Y%m%d", unit="s", error_is_null=True)
    checked = checked.append_column(_EVENT_DAY, parsed.cast(pa.date32()))
    return checked.append_column(
        _FILE_DAY, pa.repeat(pa.scalar(day, pa.date32()), checked.num_rows)
    )


def gate_days(gate: QualityGate, files: Mapping[date, pq.ParquetFile]) -> str | None:
    """One suite run over several days (GE costs ~0.3 s a run, whatever the rows): every row's
    event_date parses and equals the day of the export table it came from."""
    checked = pa.concat_tables(_checked_columns(f, day) for day, f in files.items())
    extra = [
        Rule("expect_column_values_to_not_be_null", {"column": _EVENT_DAY}),
        Rule("expect_column_pair_values_to_be_equal", {"column_A": _EVENT_DAY,
                                                        "column_B": _FILE_DAY}),
        *window_rules(_EVENT_DAY, min(files), max(files)),
    ]  # fmt: skip
    report = gate.validate(EVENTS_TABLE, checked, extra)
    return None if report.success else report.summary()


def _changed_types(schema: pa.Schema) -> str | None:
    """Flat fields must keep their kind: a number arriving as text is a type change, not a cast."""
    kinds = ((pa.types.is_string, pa.types.is_large_string), (pa.types.is_integer,))
    for spec in EVENTS_CONTRACT.fields:
        actual = schema.field(spec.name).type
        for kind in kinds:
            if kind[0](spec.type) and not any(test(actual) for test in kind):
                return (
                    f"{EVENTS_TABLE}: field {spec.name!r} changed type: expected {spec.type}, "
                    f"got {actual}"
                )
    return None


def _refuse(
    warehouse: Warehouse, path: Path, day: date, context: LoadContext, reason: str
) -> WindowResult:
    try:
        rows: pa.Table | None = pq.read_table(path)
    except (OSError, pa.ArrowException):
        rows = None
    batch_id = quarantine(warehouse, EVENTS_CONTRACT, rows, (day, day), context, reason)
    count = rows.num_rows if rows is not None else 0
    return WindowResult(EVENTS_TABLE, day, day, count, False, reason, batch_id)


def _day_batches(file: pq.ParquetFile, day: date, context: LoadContext) -> Iterator[pa.RecordBatch]:
    """The day's export in bounded batches, each with its partition day and load metadata."""
    batches = (
        batch.append_column(
            PARTITION_COLUMN, pa.repeat(pa.scalar(day, pa.date32()), batch.num_rows)
        )
        for batch in file.iter_batches(batch_size=BATCH_ROWS)
    )
    return stamp_all(batches, context)


def _swap(
    warehouse: Warehouse,
    files: Mapping[date, tuple[Path, pq.ParquetFile]],
    context: LoadContext,
) -> list[WindowResult]:
    """Replace the days' partitions in one load; if that fails, a day at a time, so only the
    day the warehouse refuses is quarantined."""
    if not files:
        return []
    parts = {day: _day_batches(file, day, context) for day, (_, file) in files.items()}
    try:
        warehouse.replace_partitions(
            EVENTS_TABLE, parts, column=PARTITION_COLUMN, cluster_by=EVENTS_CONTRACT.clustering
        )
    except WarehouseError as error:
        if len(files) == 1:
            ((day, (path, _)),) = files.items()
            return [_refuse(warehouse, path, day, context, str(error))]
        return [r for day, f in files.items() for r in _swap(warehouse, {day: f}, context)]
    return [
        WindowResult(EVENTS_TABLE, day, day, file.metadata.num_rows, True)
        for day, (_, file) in files.items()
    ]


def load_export_days(
    warehouse: Warehouse,
    source: ExportSource,
    days: Sequence[date],
    context: LoadContext,
    gate: QualityGate | None = None,
) -> tuple[list[WindowResult], dict[date, ExportNotReadyError]]:
    """Check a few days' exports together, then swap their partitions in one load (bounded
    batches).

    When the joint check fails, each day is checked alone, so only the bad days are quarantined.
    Returns the results, and the days that have no export (yet) with the source's reason.
    """
    results: list[WindowResult] = []
    missing: dict[date, ExportNotReadyError] = {}
    with ExitStack() as stack:
        files: dict[date, tuple[Path, pq.ParquetFile]] = {}
        for day in days:
            try:
                path = stack.enter_context(source.open_day(day))
            except ExportNotReadyError as error:
                missing[day] = error
                continue
            try:
                files[day] = (path, pq.ParquetFile(path))
            except (OSError, pa.ArrowException) as error:
                results.append(
                    _refuse(warehouse, path, day, context, f"unreadable export file: {error}")
                )
        for day, (path, file) in list(files.items()):
            problem = _contract_problem(file)
            if problem is not None:
                results.append(_refuse(warehouse, path, day, context, problem))
                del files[day]
        joint_ok = (
            gate is None
            or not files
            or gate_days(gate, {d: f for d, (_, f) in files.items()}) is None
        )
        for day, (path, file) in list(files.items()):
            problem = None if joint_ok else gate_days(gate, {day: file})  # type: ignore[arg-type]
            if problem is not None:
                results.append(_refuse(warehouse, path, day, context, problem))
                del files[day]
        results += _swap(warehouse, files, context)
    return sorted(results, key=lambda r: r.first), missing


def load_export_day(
    warehouse: Warehouse,
    source: ExportSource,
    day: date,
    context: LoadContext,
    gate: QualityGate | None = None,
) -> WindowResult:
    """Check one day's export, then replace its partition of raw.ga4_events."""
    results, missing = load_export_days(warehouse, source, [day], context, gate)
    if day in missing:
        raise missing[day]
    return results[0]
