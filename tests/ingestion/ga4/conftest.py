"""GA4 connector fixtures: the Data API emulator on the tiny world, its export, and the truth."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

# Airflow sets up logging when first imported (replacing the root handlers): import it now,
# before pytest's caplog attaches to a test, so log assertions do not depend on test order.
import airflow.sdk  # noqa: F401
import pandas as pd
import pyarrow as pa
import pytest

from ingestion.common.metadata import LOAD_COLUMNS
from mdp.settings import get_settings
from mdp.warehouse import TableChecksum
from mdp.warehouse.duckdb import DuckDBWarehouse
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.ga4 import CONNECTION_ID, Ga4Emulator, Ga4Options
from sandbox.world import platform_view, write_ga4_export

REPORT = "raw.ga4_report_daily"
EVENTS = "raw.ga4_events"
KEY_EVENTS = ("generate_lead", "sign_up", "purchase")
DIMENSIONS = ["date", "session_source_medium", "session_campaign_name", "device_category",
              "country"]  # fmt: skip
#: Fast retries for tests: the back-off shape is tested in ingestion/common.
FAST = {"retry_base_seconds": 0.01, "retry_max_wait_seconds": 0.05, "timeout_seconds": 5}


@dataclass
class Running:
    """A started emulator: its app (clock, fault counters) and the Airflow connection it gives."""

    emulator: Ga4Emulator
    connection: dict[str, Any]

    @property
    def url(self) -> str:
        return self.connection["extra"]["data_api_endpoint"]

    @property
    def app(self) -> Any:
        return self.emulator.app

    def conn(self, **extra: Any) -> dict[str, Any]:
        """The connection with more extras (page size, export path, retry speed …)."""
        connection = json.loads(json.dumps(self.connection))
        connection["extra"].update({**FAST, **extra})
        return connection

    def move_clock(self, today: date) -> None:
        body = json.dumps({"today": today.isoformat()}).encode()
        request = urllib.request.Request(f"{self.url}/_sandbox/clock", body, method="POST")
        with urllib.request.urlopen(request) as response:
            response.read()


def start(world: Any, home: Path, faults: FaultConfig | None = None, **options: Any) -> Running:
    emulator = Ga4Emulator(Ga4Options(**options))
    info = emulator.start(world, faults or FaultConfig(), home)
    return Running(emulator, info.connections[CONNECTION_ID])


@pytest.fixture(scope="module")
def ga4(tiny_world: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The property as of the day after the world ends: every day final."""
    running = start(tiny_world, tmp_path_factory.mktemp("ga4"))
    yield running
    running.emulator.stop()


@pytest.fixture(scope="package")
def export_dir(tiny_world: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world's complete GA4 export (events_YYYYMMDD.parquet), written once."""
    folder = tmp_path_factory.mktemp("ga4_export")
    write_ga4_export(tiny_world, folder)
    return folder


def run_ingest(
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
    conn: dict[str, Any],
    params: dict[str, str] | None = None,
    day: date | None = None,
    run_id: str = "test",
) -> dict[str, Any]:
    """`ingest` as the DAG calls it, into the DuckDB file `db`."""
    from ingestion.ga4 import ingest

    monkeypatch.setenv("MDP_DUCKDB_PATH", str(db))
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONNECTION_ID.upper()}", json.dumps(conn))
    get_settings.cache_clear()
    interval = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    return ingest(params or {}, interval, run_id)


def query(db: Path, sql: str) -> pd.DataFrame:
    with DuckDBWarehouse(db) as warehouse:
        return warehouse.query(sql).to_pandas()


def checksum(db: Path, table: str) -> TableChecksum:
    with DuckDBWarehouse(db) as warehouse:
        return warehouse.checksum(table, exclude=LOAD_COLUMNS)


def _decoded(table: pa.Table) -> pd.DataFrame:
    columns = {
        name: column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    return pa.table(columns).to_pandas()


def world_events(world: Any, as_of: date, first: date, last: date) -> pd.DataFrame:
    """The world's GA4 events as the property reports them on `as_of`, inside first..last."""
    frame = _decoded(platform_view(world, "ga4_events", as_of=as_of))
    day = pd.to_datetime(frame["event_date"]).dt.date
    return frame[(day >= first) & (day <= last)].copy()


def expected_report(world: Any, as_of: date, first: date, last: date) -> dict[tuple, tuple]:
    """The daily report computed from the events, independently of the emulator and connector.

    (date, source / medium, campaign, device, country) → (sessions, users, key events, revenue)
    """
    frame = world_events(world, as_of, first, last)
    for column in ("session_source", "session_medium", "session_campaign", "device_category",
                   "country"):  # fmt: skip
        frame[column] = frame[column].fillna("(not set)")
    frame["date"] = pd.to_datetime(frame["event_date"]).dt.date
    frame["source_medium"] = frame["session_source"] + " / " + frame["session_medium"]
    frame["session"] = frame["user_pseudo_id"] + "|" + frame["ga_session_id"].astype(str)
    frame["key_event"] = frame["event_name"].isin(KEY_EVENTS)
    purchase = frame["event_name"] == "purchase"
    frame["micros"] = (frame["event_value"].where(purchase, 0.0) * 1e6).round()
    keys = ["date", "source_medium", "session_campaign", "device_category", "country"]
    grouped = frame.groupby(keys)
    out = pd.DataFrame({
        "sessions": grouped["session"].nunique(),
        "users": grouped["user_pseudo_id"].nunique(),
        "key_events": grouped["key_event"].sum(),
        "micros": grouped["micros"].sum(),
    })  # fmt: skip
    return {
        key: (int(s), int(u), int(k), float(Decimal(int(m)) / 1_000_000))
        for key, s, u, k, m in out.itertuples()
    }


def loaded_report(db: Path, first: date | None = None, last: date | None = None) -> dict:
    """raw.ga4_report_daily in the same shape as `expected_report`."""
    where = f"where date between '{first}' and '{last}'" if first and last else ""
    frame = query(db, f"select * from {REPORT} {where}")
    return {
        (r.date, r.session_source_medium, r.session_campaign_name, r.device_category, r.country): (
            r.sessions, r.total_users, r.key_events, r.total_revenue,
        )
        for r in frame.itertuples()
    }  # fmt: skip
