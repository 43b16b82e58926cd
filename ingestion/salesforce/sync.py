"""Replicate Salesforce objects: a SystemModstamp window per object, bounded batches, gate, merge.

Semantics (see README): an object's first sync (no cursor) reads every record there is, up to
now; a scheduled run reads `SystemModstamp >= cursor` up to the end of its data interval; a
backfill (start/end) reads `SystemModstamp >= start` up to now, since Salesforce keeps only a
record's latest state and a record changed after the range would otherwise never arrive. Each
batch holds whole SystemModstamp values (never half of the records sharing one), is checked
against the API's own `COUNT()` for its stamp range, merged on Id with its bad records
quarantined, and only then moves the cursor, which never moves back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import requests
from simple_salesforce.exceptions import SalesforceError

from ingestion.common.contracts import CONTRACTS_FILE, contract
from ingestion.common.errors import SchemaChangeError, SourceError, StateError
from ingestion.common.loader import WindowResult, load_window
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate, QualityReport, Rule
from ingestion.common.retry import RetryPolicy
from ingestion.common.schema import StreamSchema
from ingestion.common.state import StreamState
from mdp.warehouse import Warehouse

from . import drift
from .client import DEFAULT_POLICY, SalesforceClient, soql_datetime
from .objects import SOURCE
from .schema import STREAMS, ObjectStream, queryable_fields, to_arrow

log = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class SyncOptions:
    """Tuning of a run: rows per load batch, the retry policy, which objects, and the schema
    contracts file (each object's entry is under `salesforce: <Object API name>:`)."""

    batch_rows: int = DEFAULT_BATCH_ROWS
    policy: RetryPolicy = DEFAULT_POLICY
    objects: tuple[str, ...] = tuple(STREAMS)
    contracts: Path = CONTRACTS_FILE


def parse_stamp(text: str) -> datetime:
    """A REST SystemModstamp (2025-01-31T10:00:00.000+0000) or a stored cursor as a datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class Bounds:
    """The SystemModstamp range one object is read over: [lower, upper); no lower = from the
    first record, no upper = up to now."""

    lower: datetime | None
    upper: datetime | None
    advances_cursor: bool

    def where(self, resume: str | None) -> str:
        """The SOQL filter ("" = every record); after a restart, from the last stamp already
        read (inclusive)."""
        lower = parse_stamp(resume) if resume is not None else self.lower
        terms = [] if lower is None else [f"SystemModstamp >= {soql_datetime(lower)}"]
        if self.upper is not None:
            terms.append(f"SystemModstamp < {soql_datetime(self.upper)}")
        return " AND ".join(terms)


@dataclass(frozen=True)
class RunWindow:
    """The run's days and whether they were asked for explicitly (a backfill)."""

    first: date
    last: date
    backfill: bool

    def bounds(self, cursor: datetime | None) -> Bounds:
        """What a CRM object's run reads. Salesforce keeps only each record's latest state, so
        a range of days cannot select "the records of those days": a record changed after the
        range (a CRM sync writing a score moves SystemModstamp) would never arrive. Hence:

        - first sync (no cursor), scheduled or backfill: every record, up to now;
        - backfill: `SystemModstamp >= start`, up to now (the end day does not bound it); it
          moves the cursor only when it starts at or before it (no gap);
        - scheduled run: from the cursor (or its own day, when rerunning an old day) to the end
          of its day.

        The cursor only moves forward (see Loader._advance)."""
        start = _midnight(self.first)
        if cursor is None:
            return Bounds(None, None, True)
        if self.backfill:
            return Bounds(start, None, start <= cursor)
        return Bounds(min(cursor, start), _midnight(self.last + timedelta(days=1)), True)


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
        """Records loaded."""
        return sum(w.rows for w in self.windows if w.loaded)

    @property
    def refused(self) -> list[WindowResult]:
        """Batches held back whole (a window rule failed, or too many bad records)."""
        return [w for w in self.windows if not w.loaded]

    @property
    def partly_quarantined(self) -> list[WindowResult]:
        """Loaded batches some of whose records went to quarantine on their own."""
        return [w for w in self.windows if w.loaded and w.quarantined_rows]

    @property
    def quarantined_records(self) -> int:
        """Records quarantined on their own while the rest of their batch loaded."""
        return sum(w.quarantined_rows for w in self.partly_quarantined)


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
        """Compare describe with the object's contract, then read the object over the run's
        bounds and load it batch by batch. A batch with quarantined records still moves the
        cursor: those records are kept in quarantine with their reason, and a fixed record gets
        a new SystemModstamp, so a later run reads it again."""
        stored = self.state.cursor_datetime(stream.sobject)  # StateError on a corrupt cursor
        bounds = window.bounds(stored)
        result = ObjectResult(
            stream.sobject, stream.table, bounds, cursor=self.state.cursor(stream.sobject)
        )
        fields = queryable_fields(self.client.describe(stream.sobject))
        schema = self._contract(stream, fields)
        advancing = bounds.advances_cursor
        pages = self.client.pages(stream.sobject, fields, bounds.where)
        for records in batches(pages, self.options.batch_rows):
            loaded = self._load(stream.sobject, schema, fields, records)
            result.windows.append(loaded)
            # a refused batch pins the cursor: the next run re-reads from before it
            advancing = advancing and loaded.loaded
            if advancing:
                result.cursor = self._advance(stream, result.cursor, records)
        return result

    def _contract(self, stream: ObjectStream, fields: Mapping[str, str]) -> StreamSchema:
        """The schema to load with; SchemaChangeError when the contract refuses describe."""
        terms = contract(SOURCE, stream.sobject, self.options.contracts)
        found = drift.compare(stream, terms, fields)
        drift.record(self.warehouse, stream.sobject, found, fields, self.context.run_id)
        if found.stop:
            raise SchemaChangeError(found.stop)
        return found.schema

    def _advance(self, stream: ObjectStream, cursor: str | None, records: list[dict]) -> str:
        """Store the batch's highest SystemModstamp, unless the cursor is already past it."""
        top = max(parse_stamp(r["SystemModstamp"]) for r in records)
        if cursor is not None and parse_stamp(cursor) >= top:
            return cursor
        value = soql_datetime(top)
        self.state.advance(stream.sobject, value)
        return value

    def _load(
        self,
        sobject: str,
        schema: StreamSchema,
        fields: Mapping[str, str],
        records: list[dict[str, Any]],
    ) -> WindowResult:
        stamps = [r["SystemModstamp"] for r in records]
        low, high = parse_stamp(min(stamps)), parse_stamp(max(stamps))
        window = (low.date(), high.date())
        gate: Any = self.gate
        if gate is not None:
            where = f"SystemModstamp >= {soql_datetime(low)} AND SystemModstamp <= " + (
                soql_datetime(high)
            )
            gate = RowCountGate(gate, self.client.count(sobject, where))
        data = to_arrow(records, fields)
        return load_window(self.warehouse, schema, [data], window, self.context, gate)


def sync(
    client: SalesforceClient,
    warehouse: Warehouse,
    window: RunWindow,
    context: LoadContext,
    gate: QualityGate | None,
    options: SyncOptions = SyncOptions(),
) -> list[ObjectResult]:
    """Every object in turn; one object's failure (a schema change its contract refuses, a
    corrupt cursor, a rejected query, retries exhausted) is recorded and the others still
    load."""
    loader = Loader(client, warehouse, context, gate, options)
    results = []
    for sobject in options.objects:
        stream = STREAMS[sobject]
        try:
            results.append(loader.sync_object(stream, window))
        except (SourceError, StateError, SalesforceError, requests.RequestException) as error:
            log.error("%s: %s", stream.table, error)
            bounds = window.bounds(None)
            results.append(ObjectResult(sobject, stream.table, bounds, error=str(error)))
    return results
