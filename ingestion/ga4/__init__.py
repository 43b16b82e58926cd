"""Google Analytics 4: Data API daily reports and the event-level export, into the raw layer."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

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


def _advance(state: StreamState, stream: str, results: list[WindowResult]) -> None:
    """Move the stream's cursor to the last day loaded (never back, e.g. on an old backfill)."""
    loaded = [r.last for r in results if r.loaded]
    if not loaded:
        return
    current = state.cursor(stream)
    latest = max(loaded).isoformat()
    if current is None or latest > current:
        state.advance(stream, latest)


def _stream_summary(results: list[WindowResult]) -> dict[str, Any]:
    return {
        "windows": len(results),
        "rows": sum(r.rows for r in results if r.loaded),
        "quarantined": [f"{r.first}..{r.last}" for r in results if not r.loaded],
    }


def _failure_message(results: list[WindowResult], errors: list[str]) -> str:
    lines = [
        f"{r.table} {r.first}..{r.last} quarantined (batch {r.batch_id}): {r.reason}"
        for r in results
        if not r.loaded
    ]
    return "GA4 ingestion incomplete:\n- " + "\n- ".join([*errors, *lines])


def ingest(
    params: Mapping[str, Any], interval_start: datetime | None, run_id: str | None
) -> dict[str, Any]:
    """Load the run's window (plus the GA4 processing lookback) from every configured stream.

    Every window that passes its checks is loaded even when others fail; the run then raises
    `Ga4IngestError` naming each quarantined window or failed stream, and why.
    """
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
    first, last = run_window(params, interval_start)
    pull_first, _ = with_lookback(first, last, config.lookback_days)
    context = LoadContext(run_id or "manual")
    gate = quality_gate()
    summary: dict[str, Any] = {"start": first.isoformat(), "end": last.isoformat()}
    summary["pulled_from"] = pull_first.isoformat()
    results: list[WindowResult] = []
    errors: list[str] = []
    with get_warehouse(settings) as warehouse:
        state = StreamState(warehouse, SOURCE)
        if config.has_reports:
            client = Ga4ReportClient(config)
            try:
                report = load_reports(warehouse, client, pull_first, last, context, gate)
            except Ga4ApiError as error:
                report = []
                errors.append(f"{REPORT_TABLE}: {error}")
            _advance(state, "report_daily", report)
            results += report
            summary["report"] = {**_stream_summary(report), "requests": client.requests}
        if in_place:
            try:
                summary["export"] = check_export_in_place(
                    warehouse, settings.bigquery, pull_first, last
                )
            except ExportNotReadyError as error:
                errors.append(f"{settings.bigquery.ga4_export_dataset}.events_*: {error}")
        elif config.has_export:
            try:
                export, missing = load_export(
                    warehouse,
                    export_source(config),
                    pull_first,
                    last,
                    context,
                    gate,
                    config.days_per_request,
                )
            except ExportNotReadyError as error:
                export, missing = [], []
                errors.append(f"{EVENTS_TABLE}: {error}")
            _advance(state, "events", export)
            results += export
            summary["export"] = {**_stream_summary(export), "missing_days": missing}
    gate.publish_docs()
    if errors or any(not r.loaded for r in results):
        raise Ga4IngestError(_failure_message(results, errors))
    return summary
