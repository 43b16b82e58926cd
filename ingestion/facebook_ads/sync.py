"""One account's sync: objects (full refresh) and daily ad insights, window by window."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa

from ingestion.common.contracts import SchemaChange, contract, record_changes
from ingestion.common.errors import SchemaChangeError
from ingestion.common.loader import WindowResult, load_window
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate
from ingestion.common.schema import StreamSchema
from ingestion.common.windows import windows
from mdp.runtime.dates import days
from mdp.warehouse import Warehouse

from .client import GraphClient, Page
from .errors import ReportJobError, TooMuchDataError
from .rows import insights_table, table
from .schema import INSIGHT_FIELDS, INSIGHTS, OBJECT_STREAMS, object_fields

log = logging.getLogger(__name__)

SOURCE = "facebook_ads"
Chunk = tuple[date, date]
_TOTALS = ("spend", "impressions", "clicks")


def plan(first: date, last: date, sync_max_days: int, chunk_days: int) -> list[tuple[Chunk, bool]]:
    """How to pull [first, last]: one sync request per day when the range is short, else async
    report runs of `chunk_days` each (Meta answers long sync queries with code 1/99 or times
    out). Each chunk is still loaded one day-window at a time."""
    span = (last - first).days + 1
    if span <= sync_max_days:
        return [((day, day), False) for day in days(first, last)]
    return [(chunk, True) for chunk in windows(first, last, chunk_days)]


@dataclass
class AccountSync:
    """Loads one ad account's streams; results collect every window's outcome."""

    client: GraphClient
    warehouse: Warehouse
    context: LoadContext
    gate: QualityGate | None
    account_id: str
    results: list[WindowResult] = field(default_factory=list)

    def objects(self, window: Chunk) -> None:
        """Campaigns, ad sets and ads: a full refresh merged on id (accounts hold few)."""
        for edge, base in OBJECT_STREAMS.items():
            schema = contract(SOURCE, edge).apply(base)
            pages = list(self.client.objects(self.account_id, edge, object_fields(base)))
            batches = [table(page) for page in pages]
            try:
                self._load(edge, schema, batches, window)
            except SchemaChangeError as error:
                self._stopped(schema, window, error)

    def insights(self, first: date, last: date) -> None:
        """Daily ad-level insights for [first, last], loaded `load_window_days` at a time and
        reconciled with the account-level totals Meta reports for the same days."""
        config = self.client.config
        chunks = plan(first, last, config.sync_max_days, config.async_chunk_days)
        group_size = max(config.async_concurrent_jobs, 1)
        try:
            for start in range(0, len(chunks), group_size):
                group = chunks[start : start + group_size]
                ready = self._start_reports([chunk for chunk, use_async in group if use_async])
                for chunk, use_async in group:
                    self._load_chunk(chunk, use_async, ready.get(chunk))
        except SchemaChangeError as error:
            self._stopped(INSIGHTS, (first, last), error)

    def _load(
        self,
        stream: str,
        schema: StreamSchema,
        batches: list[pa.Table],
        window: Chunk,
        totals: dict[str, float] | None = None,
    ) -> None:
        """One window through the loader, after recording any field the contract does not
        declare (kept in _mdp_extra, dropped, or refused with SchemaChangeError)."""
        _record_new_fields(self.warehouse, self.context, stream, schema, batches)
        self.results.append(
            load_window(self.warehouse, schema, batches, window, self.context, self.gate, totals)
        )

    def _stopped(self, schema: StreamSchema, window: Chunk, error: SchemaChangeError) -> None:
        """The contract refused the source's schema: the stream stops, its data stays as it was."""
        log.error("facebook_ads %s: %s", self.account_id, error)
        self.results.append(WindowResult(schema.table, *window, 0, False, str(error)))

    def _load_chunk(self, chunk: Chunk, use_async: bool, job_id: str | None) -> None:
        """One chunk's rows, loaded one day-window at a time against Meta's account totals."""
        config = self.client.config
        schema = contract(SOURCE, "insights").apply(INSIGHTS)
        windows_asked = config.attribution_windows
        totals = self._account_totals(chunk)
        by_day = self._rows_by_day(chunk, use_async, job_id)
        for window in windows(*chunk, config.load_window_days):
            window_days = [day.isoformat() for day in days(*window)]
            rows = [row for day in window_days for row in by_day.pop(day, [])]
            batch = [insights_table(rows, windows_asked)] if rows else []
            expected = {
                key: sum(totals.get(day, {}).get(key, 0.0) for day in window_days)
                for key in _TOTALS
            }
            self._load("insights", schema, batch, window, expected)
        if by_day:  # rows dated outside the chunk: load them so the gate quarantines them
            stray = [row for rows in by_day.values() for row in rows]
            self._load("insights", schema, [insights_table(stray, windows_asked)], chunk)

    def _account_totals(self, chunk: Chunk) -> dict[str, dict[str, float]]:
        """Meta's own per-day totals (account level) for reconciliation."""
        params = self.client.insights_params(*chunk, "account", _TOTALS)
        totals: dict[str, dict[str, float]] = {}
        for page in self.client.sync_insights(self.account_id, params):
            for row in page:
                totals[row["date_start"]] = {k: float(Decimal(row.get(k) or 0)) for k in _TOTALS}
        return totals

    def _start_reports(self, chunks: list[Chunk]) -> dict[Chunk, str]:
        """Async jobs for several chunks at once, polled together; chunk → id of each job that
        completed (a failed one is redone, with retries, when its chunk is loaded)."""
        if not chunks:
            return {}
        jobs = {
            self.client.start_report(
                self.account_id, self.client.insights_params(*chunk, "ad", INSIGHT_FIELDS)
            ): chunk
            for chunk in chunks
        }
        ready = {}
        for job_id, error in self.client.wait_for_reports(list(jobs)).items():
            if error is None:
                ready[jobs[job_id]] = job_id
            else:
                log.warning("facebook_ads: %s; the chunk gets a new job", error)
        return ready

    def _rows_by_day(
        self, chunk: Chunk, use_async: bool, job_id: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pages = self._pages(chunk, use_async) if job_id is None else self._job_pages(job_id)
        for page in pages:
            for row in page:
                by_day[row.get("date_start", "")].append(row)
        return by_day

    def _job_pages(self, job_id: str) -> Iterator[Page]:
        # materialised for the same reason as a sync query's pages
        return iter(list(self.client.report_pages(job_id)))

    def _pages(self, chunk: Chunk, use_async: bool) -> Iterator[Page]:
        params = self.client.insights_params(*chunk, "ad", INSIGHT_FIELDS)
        if not use_async:
            try:
                # materialise so a 1/99 on a later page cannot leave half a day behind
                return iter(list(self.client.sync_insights(self.account_id, params)))
            except TooMuchDataError:
                log.warning("facebook_ads: %s..%s too large for sync; using a job", *chunk)
        return iter(self._report_pages(chunk))

    def _report_pages(self, chunk: Chunk) -> list[Page]:
        """An async job's pages; a failed job is retried, then split in halves down to a day."""
        config = self.client.config
        params = self.client.insights_params(*chunk, "ad", INSIGHT_FIELDS)
        for attempt in range(1, config.job_attempts + 1):
            try:
                return list(self.client.report(self.account_id, params))
            except ReportJobError as error:
                log.warning(
                    "facebook_ads: %s (attempt %d/%d for %s..%s); starting a new job",
                    error,
                    attempt,
                    config.job_attempts,
                    *chunk,
                )
        first, last = chunk
        if first == last:
            raise ReportJobError(
                f"facebook_ads: async insights for {first} failed {config.job_attempts} times"
            )
        middle = first + timedelta(days=(last - first).days // 2)
        return self._report_pages((first, middle)) + self._report_pages(
            (middle + timedelta(days=1), last)
        )


def _record_new_fields(
    warehouse: Warehouse,
    context: LoadContext,
    stream: str,
    schema: StreamSchema,
    batches: list[pa.Table],
) -> None:
    """Record in mdp_meta.schema_changes each field Meta sent that the stream does not declare,
    with what its contract did about it."""
    seen = dict.fromkeys(name for batch in batches for name in batch.column_names)
    new = schema.undeclared(list(seen))
    if not new:
        return
    action = _CONTRACT_ACTIONS[schema.new_fields]
    changes = [SchemaChange(name, "added", "a field Meta now sends", action) for name in new]
    record_changes(warehouse, SOURCE, stream, changes, context.run_id)


_CONTRACT_ACTIONS = {
    "evolve": "kept in _mdp_extra (contract: evolve)",
    "discard": "dropped (contract: discard)",
    "freeze": "stream stopped (contract: freeze); previous data kept",
}
