"""Load one window of a stream: conform, stamp, validate, merge; refuse bad records, not windows.

A window (a day, a month, a batch of CRM records) is checked as a whole and loaded in one
idempotent merge. What fails decides what is refused:

- a record that breaks a record rule (its value cannot take its field's type, is not finite, or
  fails a column expectation of the suite) goes to `quarantine.<table>` with the rule it broke
  and the record as the source sent it; the window's other records load;
- a window rule (reconciliation with the API's own totals, the row count, a schema change) or
  more bad records than the window may hold (`MDP_INGEST__MAX_BAD_RECORDS`, `__MAX_BAD_SHARE`)
  refuses the whole window: all of it goes to quarantine and nothing of it reaches raw.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from mdp.errors import WarehouseError
from mdp.warehouse import Warehouse

from .errors import SchemaChangeError, SchemaContractError
from .metadata import LoadContext, stamp
from .quality import QualityGate, QualityReport, Rule, reconciliation_rules, window_rules
from .schema import StreamSchema

log = logging.getLogger(__name__)

#: One row per window loaded or refused (what `mdp status` reads).
LOADS_TABLE = "mdp_meta.loads"


@dataclass(frozen=True)
class WindowResult:
    """What happened to one window of one stream: `rows` loaded (or refused, when not
    `loaded`), and the records quarantined on their own while the rest loaded."""

    table: str
    first: date
    last: date
    rows: int
    loaded: bool
    reason: str = ""
    batch_id: str = ""
    quarantined_rows: int = 0


def _concat(batches: Iterable[pa.RecordBatch | pa.Table]) -> pa.Table | None:
    tables = [b if isinstance(b, pa.Table) else pa.Table.from_batches([b]) for b in batches]
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def quarantine(
    warehouse: Warehouse,
    schema: StreamSchema,
    data: pa.Table | None,
    window: tuple[date, date],
    context: LoadContext,
    reason: str,
    reasons: Sequence[str] | None = None,
) -> str:
    """Keep refused rows (as JSON, any shape) with why (`reasons`, one per row, else `reason`
    for all); return the batch id they are filed under."""
    batch_id = uuid.uuid4().hex
    rows = data.to_pylist() if data is not None else [{}]
    why = list(reasons) if reasons is not None else [reason] * len(rows)
    name = schema.table.split(".", 1)[1]
    record = pa.table(
        {
            "batch_id": [batch_id] * len(rows),
            "row_number": list(range(len(rows))),
            "source_table": [schema.table] * len(rows),
            "window_start": [window[0]] * len(rows),
            "window_end": [window[1]] * len(rows),
            "reason": why,
            "row_json": [json.dumps(r, default=str, sort_keys=True) for r in rows],
            "_mdp_run_id": [context.run_id] * len(rows),
            "quarantined_at": pa.array(
                [datetime.now(UTC)] * len(rows), pa.timestamp("us", tz="UTC")
            ),
        }
    )
    warehouse.merge(
        f"quarantine.{name}",
        record,
        keys=["batch_id", "row_number"],
        partition_by="quarantined_at",
    )
    log.error(
        "quarantined %d row(s) of %s %s..%s: %s",
        len(rows) if data is not None else 0,
        schema.table,
        window[0],
        window[1],
        reason,
    )
    return batch_id


def _allowance(rows: int) -> int:
    from mdp.settings import get_settings

    return get_settings().ingest.allowance(rows)


def load_window(
    warehouse: Warehouse,
    schema: StreamSchema,
    batches: Iterable[pa.RecordBatch | pa.Table],
    window: tuple[date, date],
    context: LoadContext,
    gate: QualityGate | None = None,
    source_totals: Mapping[str, float] | None = None,
) -> WindowResult:
    """Merge one window into `schema.table`, its bad records quarantined on their own; or
    quarantine all of it when a window rule fails or too many records are bad.

    A SchemaChangeError (the contract refuses the source's schema) is raised, not quarantined:
    the stream stops there and its previous data stays as it was. Either way the window is
    recorded in mdp_meta.loads.
    """
    try:
        result = _load_window(warehouse, schema, batches, window, context, gate, source_totals)
    except SchemaChangeError as error:
        refused = WindowResult(schema.table, window[0], window[1], 0, False, str(error))
        record_load(warehouse, refused, context)
        raise
    record_load(warehouse, result, context)
    return result


def record_load(warehouse: Warehouse, result: WindowResult, context: LoadContext) -> None:
    """Merge one window's outcome into mdp_meta.loads (a rerun of the run, same row). The
    record is a view of what already happened: failing to write it is a warning."""
    row = pa.table(
        {
            "source_table": [result.table],
            "window_start": pa.array([result.first], pa.date32()),
            "window_end": pa.array([result.last], pa.date32()),
            "run_id": [context.run_id],
            "rows_loaded": pa.array([result.rows if result.loaded else 0], pa.int64()),
            # a refused window went to quarantine whole
            "records_quarantined": pa.array(
                [result.quarantined_rows if result.loaded else result.rows], pa.int64()
            ),
            "refused_reason": pa.array([None if result.loaded else result.reason], pa.string()),
            "loaded_at": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
        }
    )
    keys = ["source_table", "window_start", "window_end", "run_id"]
    try:
        warehouse.merge(LOADS_TABLE, row, keys=keys, partition_by="loaded_at")
    except WarehouseError as error:
        log.warning("load of %s not recorded in %s: %s", result.table, LOADS_TABLE, error)


def _load_window(
    warehouse: Warehouse,
    schema: StreamSchema,
    batches: Iterable[pa.RecordBatch | pa.Table],
    window: tuple[date, date],
    context: LoadContext,
    gate: QualityGate | None,
    source_totals: Mapping[str, float] | None,
) -> WindowResult:
    raw = _concat(batches)
    first, last = window
    if raw is None:
        return WindowResult(schema.table, first, last, 0, True)
    try:
        conformed = schema.conform_records(raw)
    except SchemaChangeError:
        raise
    except SchemaContractError as error:
        batch_id = quarantine(warehouse, schema, raw, window, context, str(error))
        return WindowResult(schema.table, first, last, raw.num_rows, False, str(error), batch_id)
    data = conformed.table
    report = _check(gate, schema, data, window, source_totals)
    bad = _bad_records(conformed.row_errors, report)
    refusal = _refusal(schema, report, bad, data.num_rows)
    if refusal:
        reasons = [bad.get(row, refusal) for row in range(data.num_rows)]
        batch_id = quarantine(warehouse, schema, raw, window, context, refusal, reasons)
        return WindowResult(schema.table, first, last, data.num_rows, False, refusal, batch_id)
    reason, batch_id = "", ""
    if bad:
        rows = sorted(bad)
        reason = f"{len(rows)} of {data.num_rows} record(s) quarantined: {_example(bad)}"
        batch_id = quarantine(
            warehouse, schema, raw.take(rows), window, context, reason, [bad[r] for r in rows]
        )
        keep = pa.array([row not in bad for row in range(data.num_rows)])
        data = data.filter(keep)
    try:
        if data.num_rows:
            warehouse.merge(
                schema.table,
                stamp(data, context),
                keys=list(schema.keys),
                partition_by=schema.storage_partition,
            )
    except WarehouseError as error:
        batch_id = quarantine(warehouse, schema, data, window, context, str(error))
        return WindowResult(schema.table, first, last, data.num_rows, False, str(error), batch_id)
    return WindowResult(schema.table, first, last, data.num_rows, True, reason, batch_id, len(bad))


def _bad_records(row_errors: Mapping[int, str], report: QualityReport) -> dict[int, str]:
    bad = dict(row_errors)
    for row, rules in report.bad_rows.items():
        broken = "breaks " + "; ".join(rules)
        bad[row] = f"{bad[row]}; {broken}" if row in bad else broken
    return bad


def _example(bad: Mapping[int, str]) -> str:
    first = min(bad)
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return f"row {first} {bad[first]}{more}"


def _refusal(schema: StreamSchema, report: QualityReport, bad: Mapping[int, str], rows: int) -> str:
    """Why the whole window is refused, or "" when its good records may load."""
    if report.window_failures or (not report.success and not report.bad_rows):
        failures = report.window_failures or report.failures
        return f"{schema.table}: window rule(s) failed: " + "; ".join(failures)
    allowed = _allowance(rows)
    if len(bad) > allowed:
        return (
            f"{schema.table}: {len(bad)} of {rows} records are bad, more than the {allowed} a "
            f"window may hold (MDP_INGEST__MAX_BAD_RECORDS / MDP_INGEST__MAX_BAD_SHARE), so the "
            f"whole window is held back; e.g. {_example(bad)}"
        )
    return ""


def time_rules(schema: StreamSchema, now: datetime | None = None) -> list[Rule]:
    """The stream's `event_times` lie between its `earliest` day and tomorrow (a day of clock
    slack): a created date in 1900 or a stamp in 2099 is a bad record."""
    latest = (now or datetime.now(UTC)) + timedelta(days=1)
    earliest = datetime.combine(schema.earliest, datetime.min.time(), tzinfo=UTC)
    types = {f.name: f.type for f in schema.fields}
    rules = []
    for name in schema.event_times:
        # GE compares a date column with ISO text, a timestamp column with a datetime
        low: object = earliest
        high: object = latest
        if not pa.types.is_timestamp(types[name]):
            low, high = earliest.date().isoformat(), latest.date().isoformat()
        kwargs = {"column": name, "min_value": low, "max_value": high}
        rules.append(Rule("expect_column_values_to_be_between", kwargs))
    return rules


def _check(
    gate: QualityGate | None,
    schema: StreamSchema,
    data: pa.Table,
    window: tuple[date, date],
    source_totals: Mapping[str, float] | None,
) -> QualityReport:
    if gate is None:
        return QualityReport(schema.table, True)
    extra = time_rules(schema)
    if schema.partition_by:
        extra += window_rules(schema.partition_by, *window)
    if source_totals:
        extra += reconciliation_rules(source_totals)
    return gate.validate(schema.table, data, extra)
