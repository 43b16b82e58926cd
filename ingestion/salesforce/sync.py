"""Replicate Salesforce objects: a SystemModstamp window per object, bounded batches, gate, merge.

Semantics (see README): a scheduled run reads `SystemModstamp >= cursor` (the stored cursor of
the object, or everything on the first run) up to the end of its data interval; an explicit
start/end backfill reads exactly `[start 00:00, end + 1 day 00:00)` UTC. Each batch holds whole
SystemModstamp values (never half of the records sharing one), is checked against the API's own
`COUNT()` for its stamp range, merged on Id, and only then moves the cursor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
import requests
from simple_salesforce.exceptions import SalesforceError

from ingestion.common.errors import SchemaContractError, SourceError
from ingestion.common.loader import WindowResult, load_window, quarantine
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate, QualityReport, Rule
from ingestion.common.retry import RetryPolicy
from ingestion.common.state import StreamState
from mdp.warehouse import Warehouse

from .client import DEFAULT_POLICY, SalesforceClient, soql_datetime
from .objects import SOURCE
from .schema import STREAMS, ObjectStream, queryable_fields, to_arrow, type_changes

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class SyncOptions:
    """Tuning of a run: rows per load batch, the retry policy, which objects."""

    batch_rows: int = DEFAULT_BATCH_ROWS
    policy: RetryPolicy = DEFAULT_POLICY
    objects: tuple[str, ...] = tuple(STREAMS)


def parse_stamp(text: str) -> datetime:
    """A REST SystemModstamp (2025-01-31T10:00:00.000+0000) or a stored cursor as a datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class Bounds:
    """The SystemModstamp range one object is read over: [lower, upper); no lower = all."""

    lower: datetime | None
    upper: datetime
    advances_cursor: bool

    def where(self, resume: str | None) -> str:
        """The SOQL filter; after a restart, from the last stamp already read (inclusive)."""
        lower = parse_stamp(resume) if resume is not None else self.lower
        upper = f"SystemModstamp < {soql_datetime(self.upper)}"
        return upper if lower is None else f"SystemModstamp >= {soql_datetime(lower)} AND {upper}"


@dataclass(frozen=True)
class RunWindow:
    """The run's days and whether they were asked for explicitly (a backfill)."""

    first: date
    last: date
    backfill: bool

    def bounds(self, cursor: datetime | None) -> Bounds:
        """A backfill reads its days exactly and moves the cursor only when it starts at or
        before it (no gap). An object's first sync reads its whole history up to the window's
        end, as any replication tool's initial sync does (records last modified before the
        window would otherwise never arrive). A scheduled run reads from the cursor, but never
        starts after its own day, so rerunning an old day re-reads that day."""
        upper = _midnight(self.last + timedelta(days=1))
        start = _midnight(self.first)
        if self.backfill and cursor is not None:
            return Bounds(start, upper, start <= cursor)
        lower = None if cursor is None else min(cursor, start)
        return Bounds(lower, upper, True)


class RowCountGate:
    """The table's quality gate plus a reconciliation: the batch holds exactly as many rows as
    the API's own `SELECT COUNT()` over the batch's SystemModstamp range."""

    def __init__(self, gate: QualityGate, rows: int) -> None:
        self.gate = gate
        self.rows = rows

    def validate(self, table: str, data: pa.Table, extra: Sequence[Rule] = ()) -> QualityReport:
        rule = Rule("expect_table_row_count_to_equal", {"value": self.rows})
        return self.gate.validate(table, data, [*extra, rule])


@dataclass
class ObjectResult:
    """What one object's run did."""

    sobject: str
    table: str
    bounds: Bounds
    windows: list[WindowResult] = field(default_factory=list)
    cursor: str | None = None
    error: str = ""

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self.windows if w.loaded)

    @property
    def quarantined(self) -> list[WindowResult]:
        return [w for w in self.windows if not w.loaded]


def batches(pages: Iterable[list[dict[str, Any]]], batch_rows: int) -> Iterator[list[dict]]:
    """Records in loads of about `batch_rows`, cut only where SystemModstamp changes, deduped on
    Id keeping the latest SystemModstamp (memory holds one batch, whatever the window)."""
    buffer: dict[str, dict[str, Any]] = {}
    top = ""
    for page in pages:
        for record in page:
            stamp = record["SystemModstamp"]
            if len(buffer) >= batch_rows and stamp > top:
                yield list(buffer.values())
                buffer = {}
            prior = buffer.get(record["Id"])
            if prior is None or stamp >= prior["SystemModstamp"]:
                buffer[record["Id"]] = record
            top = max(top, stamp)
    if buffer:
        yield list(buffer.values())


@dataclass
class Loader:
    """Everything a run shares across objects."""

    client: SalesforceClient
    warehouse: Warehouse
    context: LoadContext
    gate: QualityGate | None
    options: SyncOptions

    @property
    def state(self) -> StreamState:
        return StreamState(self.warehouse, SOURCE)

    def sync_object(self, stream: ObjectStream, window: RunWindow) -> ObjectResult:
        """Read one object over the run's bounds and load it batch by batch."""
        stored = self.state.cursor(stream.sobject)
        bounds = window.bounds(parse_stamp(stored) if stored else None)
        result = ObjectResult(stream.sobject, stream.table, bounds, cursor=stored)
        fields = queryable_fields(self.client.describe(stream.sobject))
        changes = type_changes(stream.schema, fields)
        advancing = bounds.advances_cursor
        pages = self.client.pages(stream.sobject, fields, bounds.where)
        for records in batches(pages, self.options.batch_rows):
            loaded = self._load(stream, fields, changes, records)
            result.windows.append(loaded)
            # a quarantined batch pins the cursor: the next run re-reads from before it
            advancing = advancing and loaded.loaded
            if advancing:
                result.cursor = self._advance(stream, result.cursor, records)
        return result

    def _advance(self, stream: ObjectStream, cursor: str | None, records: list[dict]) -> str:
        top = max(parse_stamp(r["SystemModstamp"]) for r in records)
        if cursor is not None and parse_stamp(cursor) >= top:
            return cursor
        value = soql_datetime(top)
        self.state.advance(stream.sobject, value)
        return value

    def _load(
        self,
        stream: ObjectStream,
        fields: Mapping[str, str],
        changes: list[str],
        records: list[dict[str, Any]],
    ) -> WindowResult:
        stamps = [r["SystemModstamp"] for r in records]
        low, high = parse_stamp(min(stamps)), parse_stamp(max(stamps))
        window = (low.date(), high.date())
        try:
            if changes:
                raise SchemaContractError("; ".join(changes))
            data = to_arrow(records, fields, stream.table)
        except SchemaContractError as error:
            return self._refuse(stream, records, window, str(error))
        gate: Any = self.gate
        if gate is not None:
            where = f"SystemModstamp >= {soql_datetime(low)} AND SystemModstamp <= " + (
                soql_datetime(high)
            )
            gate = RowCountGate(gate, self.client.count(stream.sobject, where))
        return load_window(self.warehouse, stream.schema, [data], window, self.context, gate)

    def _refuse(
        self, stream: ObjectStream, records: list[dict], window: tuple[date, date], reason: str
    ) -> WindowResult:
        rows = pa.table({"record": [json.dumps(r, default=str) for r in records]})
        batch_id = quarantine(self.warehouse, stream.schema, rows, window, self.context, reason)
        return WindowResult(stream.table, *window, len(records), False, reason, batch_id)


def sync(
    client: SalesforceClient,
    warehouse: Warehouse,
    window: RunWindow,
    context: LoadContext,
    gate: QualityGate | None,
    options: SyncOptions = SyncOptions(),
) -> list[ObjectResult]:
    """Every object in turn; one object's failure (a rejected query, retries exhausted) is
    recorded and the others still load."""
    loader = Loader(client, warehouse, context, gate, options)
    results = []
    for sobject in options.objects:
        stream = STREAMS[sobject]
        try:
            results.append(loader.sync_object(stream, window))
        except (SourceError, SalesforceError, requests.RequestException) as error:
            log.error("%s: %s", sobject, error)
            bounds = window.bounds(None)
            results.append(ObjectResult(sobject, stream.table, bounds, error=str(error)))
    return results
