"""The GA4 event export (`events_YYYYMMDD`) into raw.ga4_events: nested as is, a day at a time.

GA4 rewrites a day's export while it is still processing it, so each day is one partition that
is swapped whole (never appended to): a rerun or a later, more complete export replaces it. A day
first passes the quality gate (required columns and types, non-null ids and names, event_date
equal to the export's day, timestamps not in the future). A record that breaks a rule goes to
quarantine.ga4_events with the rule and the day loads without it; a day that cannot be read,
lacks a required column or holds more bad records than allowed is quarantined whole and its
partition left untouched. New export columns follow the contract (ingestion/contracts.yml).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.common.contracts import SchemaChange, contract, record_changes
from ingestion.common.errors import SchemaChangeError, SchemaContractError
from ingestion.common.loader import WindowResult, quarantine
from ingestion.common.metadata import LoadContext, stamp_all
from ingestion.common.quality import QualityGate, QualityReport, Rule, window_rules
from ingestion.common.schema import StreamSchema
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


def gate_days(
    gate: QualityGate, files: Mapping[date, pq.ParquetFile], now: datetime | None = None
) -> QualityReport:
    """One suite run over several days (GE costs ~0.3 s a run, whatever the rows): every row's
    event_date parses and equals the day of the export table it came from, and its timestamp
    is not in the future. Rows are numbered across the days, in the order of `files`."""
    checked = pa.concat_tables(_checked_columns(f, day) for day, f in files.items())
    latest = int(((now or datetime.now(UTC)) + timedelta(days=1)).timestamp() * 1_000_000)
    extra = [
        Rule("expect_column_values_to_not_be_null", {"column": _EVENT_DAY}),
        Rule("expect_column_pair_values_to_be_equal", {"column_A": _EVENT_DAY,
                                                        "column_B": _FILE_DAY}),
        Rule("expect_column_values_to_be_between", {"column": "event_timestamp",
                                                     "max_value": latest}),
        *window_rules(_EVENT_DAY, min(files), max(files)),
    ]  # fmt: skip
    return gate.validate(EVENTS_TABLE, checked, extra)


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


@dataclass
class _Day:
    """One day's export file, the columns loaded from it and its records refused alone."""

    path: Path
    file: pq.ParquetFile
    columns: list[str] | None = None
    bad: dict[int, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.file.metadata.num_rows)


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


def _without(batch: pa.RecordBatch, offset: int, bad: Mapping[int, str]) -> pa.RecordBatch:
    """The batch (rows offset.. of its file) minus the file's bad rows."""
    drop = [row - offset for row in bad if offset <= row < offset + batch.num_rows]
    if not drop:
        return batch
    keep = np.ones(batch.num_rows, dtype=bool)
    keep[drop] = False
    return batch.filter(pa.array(keep))


def _day_batches(day: date, part: _Day, context: LoadContext) -> Iterator[pa.RecordBatch]:
    """The day's export in bounded batches, minus its bad records, each with its partition day
    and load metadata."""

    def kept() -> Iterator[pa.RecordBatch]:
        offset = 0
        for batch in part.file.iter_batches(batch_size=BATCH_ROWS, columns=part.columns):
            good = _without(batch, offset, part.bad)
            offset += batch.num_rows
            yield good.append_column(
                PARTITION_COLUMN, pa.repeat(pa.scalar(day, pa.date32()), good.num_rows)
            )

    return stamp_all(kept(), context)


def _bad_records(part: _Day) -> pa.Table:
    """The day's bad records as the export holds them (read again: they are few)."""
    taken, offset = [], 0
    for batch in part.file.iter_batches(batch_size=BATCH_ROWS):
        rows = [row - offset for row in sorted(part.bad) if offset <= row < offset + len(batch)]
        if rows:
            taken.append(pa.Table.from_batches([batch]).take(rows))
        offset += batch.num_rows
    return pa.concat_tables(taken)


def _loaded(warehouse: Warehouse, day: date, part: _Day, context: LoadContext) -> WindowResult:
    """The result of a swapped day; its bad records go to quarantine with the rule they broke."""
    if not part.bad:
        return WindowResult(EVENTS_TABLE, day, day, part.rows, True)
    rows = sorted(part.bad)
    first = rows[0]
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    reason = (
        f"{len(rows)} of {part.rows} record(s) quarantined: row {first} {part.bad[first]}{more}"
    )
    batch_id = quarantine(
        warehouse,
        EVENTS_CONTRACT,
        _bad_records(part),
        (day, day),
        context,
        reason,
        [part.bad[row] for row in rows],
    )
    loaded = part.rows - len(rows)
    return WindowResult(EVENTS_TABLE, day, day, loaded, True, reason, batch_id, len(rows))


def _swap(
    warehouse: Warehouse, parts: Mapping[date, _Day], context: LoadContext
) -> list[WindowResult]:
    """Replace the days' partitions in one load; if that fails, a day at a time, so only the
    day the warehouse refuses is quarantined."""
    if not parts:
        return []
    batches = {day: _day_batches(day, part, context) for day, part in parts.items()}
    try:
        warehouse.replace_partitions(
            EVENTS_TABLE, batches, column=PARTITION_COLUMN, cluster_by=EVENTS_CONTRACT.clustering
        )
    except WarehouseError as error:
        if len(parts) == 1:
            ((day, part),) = parts.items()
            return [_refuse(warehouse, part.path, day, context, str(error))]
        return [r for day, part in parts.items() for r in _swap(warehouse, {day: part}, context)]
    return [_loaded(warehouse, day, part, context) for day, part in parts.items()]


def _allowance(rows: int) -> int:
    from mdp.settings import get_settings

    return get_settings().ingest.allowance(rows)


def _judge(gate: QualityGate, parts: Mapping[date, _Day]) -> dict[date, str]:
    """Check the days together: each bad record is named on its day (`_Day.bad`); returns the
    days refused whole, and why (a rule on the whole batch failed, or too many bad records)."""
    report = gate_days(gate, {day: part.file for day, part in parts.items()})
    if report.success:
        return {}
    if report.window_failures or not report.bad_rows:
        if len(parts) > 1:  # which day broke a rule of the whole batch: check each alone
            return {d: why for day, p in parts.items() for d, why in _judge(gate, {day: p}).items()}
        return {day: report.summary() for day in parts}
    starts, offset = [], 0
    for day, part in parts.items():
        starts.append((offset, day))
        offset += part.rows
    for row, rules in report.bad_rows.items():
        start, day = next((s, d) for s, d in reversed(starts) if s <= row)
        parts[day].bad[row - start] = "breaks " + "; ".join(rules)
    refusals = {day: _too_many(part) for day, part in parts.items()}
    return {day: why for day, why in refusals.items() if why}


def _too_many(part: _Day) -> str:
    """Why the day is refused whole: more bad records than allowed, or nothing good in it (an
    empty swap would wipe the day's earlier load)."""
    allowed = _allowance(part.rows)
    if len(part.bad) <= allowed and len(part.bad) < part.rows:
        return ""
    first = min(part.bad)
    if len(part.bad) <= allowed:
        return (
            f"{EVENTS_TABLE}: all {part.rows} records are bad, so the day is held back and "
            f"its earlier load kept; e.g. row {first} {part.bad[first]}"
        )
    return (
        f"{EVENTS_TABLE}: {len(part.bad)} of {part.rows} records are bad, more than the "
        f"{allowed} a day may hold (MDP_INGEST__MAX_BAD_RECORDS / MDP_INGEST__MAX_BAD_SHARE), "
        f"so the whole day is held back; e.g. row {first} {part.bad[first]}"
    )


def events_contract() -> StreamSchema:
    """The export's contract (ingestion/contracts.yml, `ga4: events:`)."""
    return contract("ga4", "events").apply(EVENTS_CONTRACT)


def _apply_contract(warehouse: Warehouse, parts: Mapping[date, _Day], context: LoadContext) -> None:
    """New export columns follow the contract: loaded (evolve), dropped (discard), or the
    stream stops (freeze, SchemaChangeError); each is recorded in mdp_meta.schema_changes."""
    schema = events_contract()
    added: dict[str, str] = {}
    for part in parts.values():
        names = part.file.schema_arrow.names
        new = schema.undeclared(names)
        for name in new:
            added.setdefault(name, str(part.file.schema_arrow.field(name).type))
        if new and schema.new_fields == "discard":
            part.columns = [name for name in names if name not in new]
    if not added:
        return
    action = {
        "evolve": "loaded as a new column of raw.ga4_events",
        "discard": "dropped (contract: discard)",
        "freeze": "stream stopped (contract: freeze); previous data kept",
    }[schema.new_fields]
    changes = [
        SchemaChange(name, "added", f"the export has a new column of type {kind}", action)
        for name, kind in added.items()
    ]
    record_changes(warehouse, "ga4", "events", changes, context.run_id)
    if schema.new_fields == "freeze":
        raise SchemaChangeError(
            f"{EVENTS_TABLE}: the export has new column(s) {', '.join(added)} and the "
            "contract of ga4.events is `freeze`; declare them in ingestion/ga4/schema.py "
            "(EXPORT_COLUMNS) or set new_fields: evolve in ingestion/contracts.yml"
        )


def _open(
    warehouse: Warehouse,
    stack: ExitStack,
    source: ExportSource,
    days: Sequence[date],
    context: LoadContext,
) -> tuple[dict[date, _Day], list[WindowResult], dict[date, ExportNotReadyError]]:
    """The days' files that can be read and fit the contract; the refused days; the missing."""
    parts: dict[date, _Day] = {}
    refused: list[WindowResult] = []
    missing: dict[date, ExportNotReadyError] = {}
    for day in days:
        try:
            path = stack.enter_context(source.open_day(day))
        except ExportNotReadyError as error:
            missing[day] = error
            continue
        try:
            file = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as error:
            problem: str | None = f"unreadable export file: {error}"
        else:
            problem = _contract_problem(file)
        if problem is not None:
            refused.append(_refuse(warehouse, path, day, context, problem))
        else:
            parts[day] = _Day(path, file)
    return parts, refused, missing


def load_export_days(
    warehouse: Warehouse,
    source: ExportSource,
    days: Sequence[date],
    context: LoadContext,
    gate: QualityGate | None = None,
) -> tuple[list[WindowResult], dict[date, ExportNotReadyError]]:
    """Check a few days' exports together, then swap their partitions in one load (bounded
    batches).

    A record that breaks a rule is quarantined alone and its day loads without it; a day is
    refused whole (quarantined, its partition untouched) when it cannot be read, lacks a
    required column, breaks a rule of the whole batch or holds more bad records than allowed.
    Returns the results, and the days that have no export (yet) with the source's reason.
    Raises SchemaChangeError when a new export column meets a `freeze` contract.
    """
    with ExitStack() as stack:
        parts, results, missing = _open(warehouse, stack, source, days, context)
        _apply_contract(warehouse, parts, context)
        refusals = _judge(gate, parts) if gate is not None and parts else {}
        for day, reason in refusals.items():
            results.append(_refuse(warehouse, parts.pop(day).path, day, context, reason))
        results += _swap(warehouse, parts, context)
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
