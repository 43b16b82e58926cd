"""Load one window of a stream: conform, stamp, validate, then merge — or quarantine, never both.

A window (usually one day) is the unit that either reaches the raw table whole or not at all:
its batches are conformed to the stream's schema, stamped with the run's metadata, checked by the
quality gate and merged in one idempotent warehouse merge. A window that fails any check is written
to `quarantine.<table>` with the reason, and nothing of it reaches raw.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pyarrow as pa

from mdp.errors import WarehouseError
from mdp.warehouse import Warehouse

from .errors import SchemaContractError
from .metadata import LoadContext, stamp
from .quality import QualityGate, QualityReport, reconciliation_rules, window_rules
from .schema import StreamSchema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowResult:
    """What happened to one window of one stream."""

    table: str
    first: date
    last: date
    rows: int
    loaded: bool
    reason: str = ""
    batch_id: str = ""


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
) -> str:
    """Keep a refused window's rows (as JSON, any shape) with the reason; return its id."""
    batch_id = uuid.uuid4().hex
    rows = data.to_pylist() if data is not None else [{}]
    name = schema.table.split(".", 1)[1]
    record = pa.table(
        {
            "batch_id": [batch_id] * len(rows),
            "row_number": list(range(len(rows))),
            "source_table": [schema.table] * len(rows),
            "window_start": [window[0]] * len(rows),
            "window_end": [window[1]] * len(rows),
            "reason": [reason] * len(rows),
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


def load_window(
    warehouse: Warehouse,
    schema: StreamSchema,
    batches: Iterable[pa.RecordBatch | pa.Table],
    window: tuple[date, date],
    context: LoadContext,
    gate: QualityGate | None = None,
    source_totals: Mapping[str, float] | None = None,
) -> WindowResult:
    """Merge one window into `schema.table` if it passes every check, else quarantine it."""
    raw = _concat(batches)
    first, last = window
    try:
        conformed = schema.conform(raw) if raw is not None else None
    except SchemaContractError as error:
        batch_id = quarantine(warehouse, schema, raw, window, context, str(error))
        return WindowResult(
            schema.table, first, last, raw.num_rows if raw else 0, False, str(error), batch_id
        )
    if conformed is None:
        return WindowResult(schema.table, first, last, 0, True)
    report = _check(gate, schema, conformed, window, source_totals)
    if not report.success:
        batch_id = quarantine(warehouse, schema, conformed, window, context, report.summary())
        return WindowResult(
            schema.table, first, last, conformed.num_rows, False, report.summary(), batch_id
        )
    try:
        warehouse.merge(
            schema.table,
            stamp(conformed, context),
            keys=list(schema.keys),
            partition_by=schema.storage_partition,
        )
    except WarehouseError as error:
        batch_id = quarantine(warehouse, schema, conformed, window, context, str(error))
        return WindowResult(
            schema.table, first, last, conformed.num_rows, False, str(error), batch_id
        )
    return WindowResult(schema.table, first, last, conformed.num_rows, True)


def _check(
    gate: QualityGate | None,
    schema: StreamSchema,
    data: pa.Table,
    window: tuple[date, date],
    source_totals: Mapping[str, float] | None,
) -> QualityReport:
    if gate is None:
        return QualityReport(schema.table, True)
    extra = []
    if schema.partition_by:
        extra += window_rules(schema.partition_by, *window)
    if source_totals:
        extra += reconciliation_rules(source_totals)
    return gate.validate(schema.table, data, extra)
