"""Google Analytics 4: Data API daily reports and the event-level export, into the raw layer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ingestion.common.errors import SchemaChangeError
from ingestion.common.loader import WindowResult
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate, shared_gate
from ingestion.common.state import StreamState
from ingestion.common.windows import LOAD_WINDOW_DAYS, windows, with_lookback
from mdp.errors import ConfigError
from mdp.runtime.connections import get_connection
from mdp.runtime.dates import days, run_window
from mdp.settings import BigQuerySettings, WarehouseKind, get_settings
from mdp.warehouse import Warehouse, get_warehouse

from .client import Ga4ReportClient
from .config import Ga4Config
from .errors import ExportNotReadyError, Ga4ApiError, Ga4IngestError
from .export import (
    RAW_EVENTS_TABLE,
    ExportSource,
    FileExport,
    load_export_day,
    load_export_days,
)
from .report import load_reports
from .schema import EVENTS_TABLE, REPORT_TABLE

__all__ = [
    "EVENTS_TABLE",
    "RAW_EVENTS_TABLE",
    "REPORT_TABLE",
    "Ga4Config",
    "ingest",
    "load_export",
    "load_export_day",
]

log = logging.getLogger(__name__)
SOURCE = "ga4"


def quality_gate() -> QualityGate:
    """The process's shared quality gate (data docs under <MDP_HOME>/gx/data_docs)."""
    return shared_gate()


def export_source(config: Ga4Config) -> ExportSource:
    """Files in `export_path` (sandbox, GCS sync) or BigQuery `export_bigquery_dataset`."""
    if config.export_path:
        return FileExport(config.export_path)
    from .bigquery_export import BigQueryExport, make_bigquery_client

    assert config.export_bigquery_dataset is not None
    client = make_bigquery_client(config)
    return BigQueryExport(client, config.export_bigquery_dataset, config.export_bigquery_project)


def load_export(
    warehouse: Warehouse,
    source: ExportSource,
    first: date,
    last: date,
    context: LoadContext,
    gate: QualityGate | None,
    chunk_days: int = LOAD_WINDOW_DAYS,
) -> tuple[list[WindowResult], list[str]]:
    """Each day's export (checked, then its partition replaced); also the days with no export.

    Days are checked a chunk at a time (one quality-gate run), swapped a day at a time. A
    property writes no daily table for a day without events, so missing days are reported,
    not fatal; a window with no export at all fails (the export is not ready).
    """
    results: list[WindowResult] = []
    missing: list[str] = []
    for chunk in windows(first, last, chunk_days):
        loaded, absent = load_export_days(warehouse, source, list(days(*chunk)), context, gate)
        results += loaded
        missing += [day.isoformat() for day in absent]
    if not results:
        raise ExportNotReadyError(f"no GA4 export for any day from {first} to {last}")
    if missing:
        log.warning("GA4 export has no table for %d day(s): %s", len(missing), ", ".join(missing))
    return results, missing


def check_export_in_place(
    warehouse: Warehouse, bigquery: BigQuerySettings, first: date, last: date
) -> dict[str, Any]:
    """On BigQuery the property's export is read in place by dbt (never copied): check only
    that its daily tables exist; ExportNotReadyError when none of the window's does."""
    from .bigquery_export import export_days_present

    client = getattr(warehouse, "client", None)
    dataset = bigquery.ga4_export_dataset
    project = bigquery.ga4_export_project or bigquery.project
    if client is None or not dataset or not project:
        raise ConfigError("reading the GA4 export in place needs the bigquery warehouse")
    present, absent = export_days_present(client, project, dataset, list(days(first, last)))
    if not present:
        raise ExportNotReadyError(
            f"no GA4 export table in {project}.{dataset} for any day from {first} to {last}"
        )
    if absent:
        log.warning("GA4 export has no table for %d day(s): %s", len(absent), absent)
    return {
        "read_in_place": f"{project}.{dataset}",
        "days": len(present),
        "latest_day": max(present).isoformat(),
        "missing_days": [day.isoformat() for day in absent],
    }


def _advance(
    state: StreamState, stream: str, current: date | None, results: list[WindowResult]
) -> None:
    """Move the stream's cursor to the last day loaded (never back, e.g. on an old backfill)."""
    loaded = [r.last for r in results if r.loaded]
    if not loaded:
        return
    if current is None or max(loaded) > current:
        state.advance(stream, max(loaded).isoformat())


def _stream_summary(results: list[WindowResult]) -> dict[str, Any]:
    return {
        "windows": len(results),
        "rows": sum(r.rows for r in results if r.loaded),
        "quarantined_records": sum(r.quarantined_rows for r in results),
        "quarantined": [f"{r.first}..{r.last}" for r in results if not r.loaded],
    }


def _failure_message(results: list[WindowResult], errors: list[str]) -> str:
    lines = [
        f"{r.table} {r.first}..{r.last} quarantined (batch {r.batch_id}): {r.reason}"
        for r in results
        if not r.loaded
    ]
    return "GA4 ingestion incomplete:\n- " + "\n- ".join([*errors, *lines])


@dataclass
class _Run:
    """One ingest run's shared pieces and what its streams did."""

    warehouse: Warehouse
    state: StreamState
    window: tuple[date, date]
    context: LoadContext
    gate: QualityGate
    summary: dict[str, Any]
    results: list[WindowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _report_stream(run: _Run, config: Ga4Config, cursor: date | None) -> None:
    client = Ga4ReportClient(config)
    try:
        report = load_reports(run.warehouse, client, *run.window, run.context, run.gate)
    except (Ga4ApiError, SchemaChangeError) as error:
        report = []
        run.errors.append(f"{REPORT_TABLE}: {error}")
    _advance(run.state, "report_daily", cursor, report)
    run.results += report
    run.summary["report"] = {
        **_stream_summary(report),
        "requests": client.requests,
        "token_refreshes": client.token_refreshes,
    }


def _export_stream(run: _Run, config: Ga4Config, cursor: date | None) -> None:
    source = export_source(config)
    try:
        export, missing = load_export(
            run.warehouse, source, *run.window, run.context, run.gate, config.days_per_request
        )
    except (ExportNotReadyError, SchemaChangeError) as error:
        export, missing = [], []
        run.errors.append(f"{EVENTS_TABLE}: {error}")
    _advance(run.state, "events", cursor, export)
    run.results += export
    run.summary["export"] = {**_stream_summary(export), "missing_days": missing}


def _in_place_stream(run: _Run, bigquery: BigQuerySettings) -> None:
    try:
        run.summary["export"] = check_export_in_place(run.warehouse, bigquery, *run.window)
    except ExportNotReadyError as error:
        run.errors.append(f"{bigquery.ga4_export_dataset}.events_*: {error}")


def _bad_records(results: list[WindowResult]) -> dict[str, int]:
    """Table → records quarantined alone (the rest of their windows loaded); logged."""
    bad: dict[str, int] = {}
    for result in results:
        if result.quarantined_rows:
            bad[result.table] = bad.get(result.table, 0) + result.quarantined_rows
    if bad:
        log.warning(
            "ga4: %s; the rest of their windows loaded (see quarantine.<table>)",
            ", ".join(f"{n} bad record(s) of {table}" for table, n in bad.items()),
        )
    return bad


def ingest(
    params: Mapping[str, Any], interval_start: datetime | None, run_id: str | None
) -> dict[str, Any]:
    """Load the run's window (plus the GA4 processing lookback) from every configured stream.

    Bad records are quarantined on their own (counted in `quarantined_records`) and the rest
    loads; a window refused whole or a failed stream does not stop the others, but the run then
    raises `Ga4IngestError` naming each, and why.
    """
    first, last = run_window(params, interval_start)
    settings = get_settings()
    conn_id = settings.connections.ga4
    config = Ga4Config.from_connection(conn_id, get_connection(conn_id))
    in_place = settings.warehouse is WarehouseKind.BIGQUERY and bool(
        settings.bigquery.ga4_export_dataset
    )
    if not (config.has_reports or config.has_export or in_place):
        raise ConfigError(
            f"Airflow connection {conn_id!r} names neither a 'property_id' (Data API reports) "
            "nor an 'export_path'/'export_bigquery_dataset' (event export)"
        )
    pull_first, _ = with_lookback(first, last, config.lookback_days)
    summary: dict[str, Any] = {"start": first.isoformat(), "end": last.isoformat()}
    summary["pulled_from"] = pull_first.isoformat()
    gate = quality_gate()
    with get_warehouse(settings) as warehouse:
        state = StreamState(warehouse, SOURCE)
        context = LoadContext(run_id or "manual")
        run = _Run(warehouse, state, (pull_first, last), context, gate, summary)
        # both cursors are read (validated) before either stream loads anything
        report_cursor = state.cursor_date("report_daily") if config.has_reports else None
        export = config.has_export and not in_place
        events_cursor = state.cursor_date("events") if export else None
        if config.has_reports:
            _report_stream(run, config, report_cursor)
        if in_place:
            _in_place_stream(run, settings.bigquery)
        elif export:
            _export_stream(run, config, events_cursor)
    gate.publish_docs()
    summary["quarantined_records"] = _bad_records(run.results)
    if run.errors or any(not r.loaded for r in run.results):
        raise Ga4IngestError(_failure_message(run.results, run.errors))
    return summary
