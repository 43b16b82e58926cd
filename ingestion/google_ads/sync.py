"""One Google Ads run: attributes (full refresh) and daily ad metrics over the lookback window."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.loader import WindowResult, load_window, quarantine
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate
from ingestion.common.state import StreamState
from ingestion.common.windows import LOAD_WINDOW_DAYS, windows, with_lookback
from mdp.warehouse import Warehouse

from .client import AdsApi
from .schema import AD_METRICS_DAILY, ATTRIBUTE_STREAMS, CUSTOMER_TOTALS, RECONCILED, Stream

log = logging.getLogger(__name__)

SOURCE = "google_ads"
#: Google Ads restates conversions for the account's conversion window (30 days by default,
#: up to 90): every run re-pulls that many days before its window and merges them again.
DEFAULT_LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class SyncOptions:
    """The knobs of a run; all explicit, none hidden in state."""

    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    #: Days per load window: one quality check, one merge, and what a bad batch quarantines.
    #: Extraction and retries stay per customer per day whatever this is; 1 isolates bad days.
    window_days: int = LOAD_WINDOW_DAYS
    #: Whether an explicit window may start earlier to fill a gap since the stored cursor.
    fill_gaps: bool = True
    reconcile: bool = True


@dataclass
class SyncSummary:
    """What a run pulled and loaded, per window."""

    first: date
    last: date
    results: list[WindowResult] = field(default_factory=list)

    @property
    def quarantined(self) -> list[WindowResult]:
        """Windows refused whole (nothing of them loaded)."""
        return [r for r in self.results if not r.loaded]

    @property
    def quarantined_records(self) -> dict[str, int]:
        """Table → bad records quarantined on their own (the rest of their windows loaded)."""
        bad: dict[str, int] = {}
        for result in self.results:
            if result.quarantined_rows:
                bad[result.table] = bad.get(result.table, 0) + result.quarantined_rows
        return bad

    def as_dict(self) -> dict[str, object]:
        rows: dict[str, int] = {}
        for result in self.results:
            if result.loaded:
                rows[result.table] = rows.get(result.table, 0) + result.rows
        return {
            "start": self.first.isoformat(),
            "end": self.last.isoformat(),
            "windows": len(self.results),
            "rows": rows,
            "quarantined_records": self.quarantined_records,
            "quarantined": [
                {"table": r.table, "start": str(r.first), "end": str(r.last), "reason": r.reason}
                for r in self.quarantined
            ],
        }


def pull_window(
    first: date, last: date, cursor: date | None, options: SyncOptions
) -> tuple[date, date]:
    """The days a run pulls: its window, widened back to just after the cursor if runs were
    missed, then back by the conversion-window lookback."""
    start = first
    if options.fill_gaps and cursor is not None and cursor + timedelta(days=1) < first:
        start = cursor + timedelta(days=1)
    return with_lookback(start, last, options.lookback_days)


def sync(
    warehouse: Warehouse,
    api: AdsApi,
    window: tuple[date, date],
    context: LoadContext,
    gate: QualityGate | None,
    options: SyncOptions = SyncOptions(),
) -> SyncSummary:
    """Load every stream for `window` (plus lookback); quarantined windows don't stop the rest."""
    state = StreamState(warehouse, SOURCE)
    cursor = state.cursor_date(AD_METRICS_DAILY.name)
    first, last = pull_window(*window, cursor, options)
    summary = SyncSummary(first, last)
    log.info("google_ads: pulling %s..%s (cursor %s)", first, last, cursor)
    for stream in ATTRIBUTE_STREAMS:
        summary.results.append(
            _load_attributes(warehouse, api, stream, (first, last), context, gate)
        )
    advancing = True
    for chunk in windows(first, last, options.window_days):
        result = _load_metrics(warehouse, api, chunk, context, gate, options.reconcile)
        summary.results.append(result)
        advancing = advancing and result.loaded
        # the cursor only moves over contiguous loaded days: a quarantined day is pulled again
        if advancing and (cursor is None or chunk[-1] > cursor):
            cursor = chunk[-1]
            state.advance(AD_METRICS_DAILY.name, cursor.isoformat())
    return summary


def _load_attributes(
    warehouse: Warehouse,
    api: AdsApi,
    stream: Stream,
    window: tuple[date, date],
    context: LoadContext,
    gate: QualityGate | None,
) -> WindowResult:
    """Full refresh of one attribute stream, merged on its ids (removed items keep their row)."""
    tables = [api.fetch(customer, stream) for customer in api.connection.customer_ids]
    batches = [t for t in tables if t is not None]
    return load_window(warehouse, stream.schema, batches, window, context, gate)


def _load_metrics(
    warehouse: Warehouse,
    api: AdsApi,
    chunk: tuple[date, date],
    context: LoadContext,
    gate: QualityGate | None,
    reconcile: bool,
) -> WindowResult:
    """One load window of daily ad metrics: one SearchStream per customer, then one merge."""
    batches: list[pa.Table] = []
    totals = dict.fromkeys(RECONCILED, 0.0)
    window = (chunk[0], chunk[-1])
    for customer in api.connection.customer_ids:
        rows = api.fetch(customer, AD_METRICS_DAILY, window)
        if rows is not None:
            batches.append(rows)
        if reconcile:
            _add_totals(totals, api.fetch(customer, CUSTOMER_TOTALS, window))
    if reconcile and not batches and any(totals.values()):
        # load_window skips an empty window, but the account says there was delivery
        reason = f"{AD_METRICS_DAILY.schema.table}: no ad rows, but the account reports {totals}"
        batch_id = quarantine(warehouse, AD_METRICS_DAILY.schema, None, window, context, reason)
        return WindowResult(AD_METRICS_DAILY.schema.table, *window, 0, False, reason, batch_id)
    source_totals = totals if reconcile else None
    return load_window(
        warehouse, AD_METRICS_DAILY.schema, batches, window, context, gate, source_totals
    )


def _add_totals(totals: dict[str, float], table: pa.Table | None) -> None:
    if table is None:
        return
    for column in RECONCILED:
        totals[column] += float(pc.sum(table.column(column)).as_py() or 0)
