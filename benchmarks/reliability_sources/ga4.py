"""GA4 under faults, as two sources. The report: the Data API emulator on the world, a
full-year `ingest`, and the daily report computed from the world's events (not by the emulator)
as the truth. The export: the world's event files loaded by the same `ingest` (no API call, so
no fault), and the world's events as the truth, compared per day by content."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from benchmarks.reliability_sources import Running, Tuning
from benchmarks.reliability_sources.compare import Truth

#: The raw.ga4_events columns the export is compared on, nested event parameters unpacked.
EXPORT_RAW_SQL = """
select strptime(event_date, '%Y%m%d')::date as day, event_timestamp, event_name, user_pseudo_id,
       list_filter(event_params, lambda p: p.key = 'ga_session_id')[1].value.int_value
           as ga_session_id,
       list_filter(event_params, lambda p: p.key = 'page_location')[1].value.string_value
           as page_location
from {table}
"""


def _window(world: Any) -> dict[str, str]:
    return {"start": world.config.start.isoformat(), "end": world.config.end.isoformat()}


def start_ga4_report(world: Any, faults: Any, home: Path, tuning: Tuning) -> Running:
    from sandbox.emulators.ga4 import CONNECTION_ID, Ga4Emulator

    emulator = Ga4Emulator()
    info = emulator.start(world, faults, home)
    connection = info.connections[CONNECTION_ID]
    connection["extra"].update(
        {
            "timeout_seconds": tuning.timeout_seconds,
            "retry_base_seconds": tuning.retry_base_seconds,
            "retry_max_wait_seconds": tuning.retry_max_wait_seconds,
        }
    )
    app = emulator.app
    assert app is not None
    property_id = str(connection["extra"]["property_id"])
    return Running(
        env={f"AIRFLOW_CONN_{CONNECTION_ID.upper()}": json.dumps(connection)},
        ingest=lambda run_id: _ingest(_window(world), run_id),
        injected=lambda: dict(app.injector.injected),
        truths=lambda: [report_truth(world, app.snapshots.today, property_id)],
        stop=emulator.stop,
    )


def start_ga4_export(world: Any, faults: Any, home: Path, tuning: Tuning) -> Running:
    from sandbox.emulators.ga4 import CONNECTION_ID
    from sandbox.world import write_ga4_export

    folder = home / "ga4_export"
    write_ga4_export(world, folder)
    connection = {"conn_type": "google_cloud_platform", "extra": {"export_path": str(folder)}}
    return Running(
        env={f"AIRFLOW_CONN_{CONNECTION_ID.upper()}": json.dumps(connection)},
        ingest=lambda run_id: _ingest(_window(world), run_id),
        injected=dict,  # files: no call to fault
        truths=lambda: [export_truth(world)],
        stop=lambda: None,
    )


def _ingest(window: dict[str, str], run_id: str) -> Any:
    from ingestion.ga4 import ingest

    return ingest(window, None, run_id)


def report_truth(world: Any, today: date, property_id: str) -> Truth:
    """raw.ga4_report_daily for the default dimensions and metrics, from the events the
    property shows `today`: sessions = distinct (user, session id), users = distinct users, key
    events = events of the property's key-event names, revenue = purchase values to the micro."""
    import duckdb

    from ingestion.ga4.config import DEFAULT_DIMENSIONS, DEFAULT_METRICS
    from ingestion.ga4.schema import report_schema
    from sandbox.emulators.ga4.catalog import KEY_EVENTS
    from sandbox.world import platform_view

    events = platform_view(world, "ga4_events", as_of=today)
    names = ", ".join(f"'{name}'" for name in KEY_EVENTS)
    con = duckdb.connect()
    try:
        con.register("events", events)
        rows = con.execute(
            f"""
            select ? as property_id, event_date as date,
                   coalesce(session_source, '(not set)') || ' / '
                       || coalesce(session_medium, '(not set)') as session_source_medium,
                   coalesce(session_campaign, '(not set)') as session_campaign_name,
                   coalesce(device_category, '(not set)') as device_category,
                   coalesce(country, '(not set)') as country,
                   count(distinct user_pseudo_id || '|' || ga_session_id) as sessions,
                   count(distinct user_pseudo_id) as total_users,
                   count(*) filter (where event_name in ({names})) as key_events,
                   coalesce(sum(round(event_value * 1e6))
                       filter (where event_name = 'purchase'), 0) / 1e6 as total_revenue
            from events group by all
            """,
            [property_id],
        ).to_arrow_table()
    finally:
        con.close()
    schema = report_schema(DEFAULT_DIMENSIONS, DEFAULT_METRICS)
    return Truth(schema.table, schema.keys, rows)


def export_truth(world: Any) -> Truth:
    """raw.ga4_events: every world event, compared per day on its content."""
    from ingestion.ga4.schema import EVENTS_TABLE

    events = world.tables["ga4_events"]
    rows = pa.table(
        {
            "day": events["event_date"],
            "event_timestamp": events["event_timestamp"],
            "event_name": events["event_name"],
            "user_pseudo_id": events["user_pseudo_id"],
            "ga_session_id": events["ga_session_id"],
            "page_location": events["page_location"],
        }
    )
    raw_sql = EXPORT_RAW_SQL.format(table=EVENTS_TABLE)
    return Truth(EVENTS_TABLE, (), rows, raw_sql=raw_sql, day="day")
