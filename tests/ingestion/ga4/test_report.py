"""raw.ga4_report_daily against the Data API emulator: the world's numbers, through GA4's errors."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingestion.ga4.client import Ga4ReportClient
from ingestion.ga4.errors import Ga4IngestError
from mdp.warehouse.duckdb import DuckDBWarehouse
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.ga4.quota import QuotaLimits
from tests.ingestion.ga4.conftest import (
    REPORT,
    Running,
    checksum,
    expected_report,
    loaded_report,
    query,
    run_ingest,
    start,
)

JUNE = {"start": "2025-06-01", "end": "2025-06-21"}
JUNE_PULLED = (date(2025, 5, 29), date(2025, 6, 21))  # three days of GA4 processing lookback


def test_report_equals_the_world(ga4: Running, tiny_world: Any, monkeypatch, tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    summary = run_ingest(monkeypatch, db, ga4.conn(page_size=15), JUNE)

    today = ga4.app.snapshots.today
    expected = expected_report(tiny_world, today, *JUNE_PULLED)
    loaded = loaded_report(db)
    assert len(expected) > 100
    assert loaded == expected
    totals = query(db, f"select sum(sessions) s, sum(key_events) k, sum(total_revenue) r "
                       f"from {REPORT}").iloc[0]  # fmt: skip
    assert (totals.s, totals.k) == (
        sum(v[0] for v in expected.values()),
        sum(v[2] for v in expected.values()),
    )
    assert totals.r == pytest.approx(sum(v[3] for v in expected.values()), abs=1e-6)
    # 4 windows of 7 days (24 days), several pages each, plus one totals query per window
    assert summary["report"]["windows"] == 4
    assert summary["report"]["requests"] > 4 * 2
    with DuckDBWarehouse(db) as warehouse:
        assert warehouse.get_state("ga4.report_daily.cursor") == "2025-06-21"
        row = warehouse.query(f"select * from {REPORT} limit 1").to_pylist()[0]
    assert row["property_id"] == "412345678" and row["_mdp_run_id"] == "test"
    assert {"_mdp_loaded_at", "_mdp_extracted_at", "_mdp_extra"} <= set(row)


def test_faults_change_nothing_and_retries_are_logged(
    ga4: Running, tiny_world: Any, monkeypatch, tmp_path: Path, caplog
) -> None:
    clean, faulty = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    run_ingest(monkeypatch, clean, ga4.conn(page_size=15), JUNE)
    faults = FaultConfig(rate=0.1, seed=7, slow_seconds=0.2)
    flaky = start(tiny_world, tmp_path / "flaky", faults)
    try:
        with caplog.at_level(logging.WARNING, logger="ingestion.common.retry"):
            run_ingest(monkeypatch, faulty, flaky.conn(page_size=15, timeout_seconds=1.5), JUNE)
        injected = dict(flaky.app.injector.injected)
    finally:
        flaky.emulator.stop()

    assert checksum(faulty, REPORT) == checksum(clean, REPORT)
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert {"rate_limit", "server_error", "expired_token"} <= set(injected)
    assert len(retries) >= injected["rate_limit"] + injected["server_error"]
    assert any("temporary quota exhausted" in m for m in retries)
    assert any("transient ServiceUnavailable" in m or "InternalServerError" in m for m in retries)
    assert any("token rejected (401)" in m for m in retries)


def test_rerun_and_backfill_equal_daily_runs(ga4: Running, monkeypatch, tmp_path: Path) -> None:
    backfill, daily = tmp_path / "backfill.duckdb", tmp_path / "daily.duckdb"
    conn = ga4.conn(page_size=25)
    run_ingest(monkeypatch, backfill, conn, {"start": "2025-06-01", "end": "2025-06-10"})
    first = checksum(backfill, REPORT)
    run_ingest(
        monkeypatch, backfill, conn, {"start": "2025-06-04", "end": "2025-06-04"}, run_id="b"
    )
    for offset in range(10):
        run_ingest(monkeypatch, daily, conn, day=date(2025, 6, 1) + timedelta(days=offset))

    assert first.rows > 50
    assert checksum(backfill, REPORT) == first == checksum(daily, REPORT)


def test_restated_days_are_replaced_by_the_next_run(
    tiny_world: Any, monkeypatch, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    ga4 = start(tiny_world, tmp_path / "clock", today=date(2025, 7, 1))
    try:
        run_ingest(monkeypatch, db, ga4.conn(), day=date(2025, 6, 30))
        early = loaded_report(db)
        ga4.move_clock(date(2025, 7, 2))
        run_ingest(monkeypatch, db, ga4.conn(), day=date(2025, 7, 1))
    finally:
        ga4.emulator.stop()

    window = (date(2025, 6, 27), date(2025, 7, 1))
    assert early == expected_report(tiny_world, date(2025, 7, 1), window[0], date(2025, 6, 30))
    assert loaded_report(db) == expected_report(tiny_world, date(2025, 7, 2), *window)
    final = loaded_report(db)

    def sessions(report: dict, first: date, last: date) -> int:
        return sum(v[0] for k, v in report.items() if first <= k[0] <= last)

    # the days still in processing grew; the day already final did not move
    last_three = (date(2025, 6, 28), date(2025, 6, 30))
    assert sessions(final, *last_three) > sessions(early, *last_three)
    final_day = (date(2025, 6, 27), date(2025, 6, 27))
    assert sessions(final, *final_day) == sessions(early, *final_day) > 0


def test_daily_quota_exhaustion_stops_the_run_clearly(
    tiny_world: Any, monkeypatch, tmp_path: Path, caplog
) -> None:
    ga4 = start(tiny_world, tmp_path / "quota", quota=QuotaLimits(tokens_per_day=3))
    db = tmp_path / "w.duckdb"
    try:
        with pytest.raises(Ga4IngestError, match="no tokens left today") as error:
            run_ingest(monkeypatch, db, ga4.conn(), JUNE)
    finally:
        ga4.emulator.stop()
    assert "midnight Pacific" in str(error.value)
    assert not [r for r in caplog.records if "retrying in" in r.getMessage()]
    loaded = query(db, f"select min(date) a, max(date) b from {REPORT}").iloc[0]
    assert (loaded.a, loaded.b) == (date(2025, 5, 29), date(2025, 6, 4))  # the first window


def test_unknown_metric_fails_naming_the_field(ga4: Running, monkeypatch, tmp_path, caplog):
    conn = ga4.conn(metrics="sessions,totalUserz")
    with pytest.raises(Ga4IngestError, match="'totalUserz' is not a valid GA4 metric"):
        run_ingest(monkeypatch, tmp_path / "w.duckdb", conn, JUNE)
    assert not [r for r in caplog.records if "retrying in" in r.getMessage()]


def test_window_disagreeing_with_ga4_totals_is_quarantined(
    ga4: Running, tiny_world: Any, monkeypatch, tmp_path: Path
) -> None:
    real = Ga4ReportClient.totals

    def off_by_one_in_june_5(self, first: date, last: date, metrics: list[str]) -> dict:
        totals = real(self, first, last, metrics)
        if first <= date(2025, 6, 5) <= last:
            totals["key_events"] += 1
        return totals

    monkeypatch.setattr(Ga4ReportClient, "totals", off_by_one_in_june_5)
    db = tmp_path / "w.duckdb"
    with pytest.raises(Ga4IngestError, match=r"ga4_report_daily 2025-06-05\.\.2025-06-11 quar"):
        run_ingest(monkeypatch, db, ga4.conn(), JUNE)

    loaded = loaded_report(db)
    dates = {k[0] for k in loaded}
    assert not any(date(2025, 6, 5) <= d <= date(2025, 6, 11) for d in dates)
    others = expected_report(tiny_world, ga4.app.snapshots.today, *JUNE_PULLED)
    assert loaded == {k: v for k, v in others.items() if k[0] not in
                      {date(2025, 6, 5) + timedelta(days=i) for i in range(7)}}  # fmt: skip
    reasons = query(db, "select distinct reason from quarantine.ga4_report_daily").reason
    assert len(reasons) == 1 and "expect_column_sum_to_be_between" in reasons[0]
    assert '"column": "key_events"' in reasons[0]


def test_refreshable_credentials_survive_expired_tokens(
    tiny_world: Any, monkeypatch, tmp_path: Path
) -> None:
    faults = FaultConfig(rate=0.5, kinds=("expired_token",), seed=5)
    ga4 = start(tiny_world, tmp_path / "auth", faults, access_token="ya29.sandbox")
    conn = ga4.conn(page_size=10, credentials="oauth", client_id="id", client_secret="secret",
                    refresh_token="1//sandbox", token_uri=f"{ga4.url}/token")  # fmt: skip
    conn.pop("password")  # no token yet: google-auth fetches one at token_uri
    db = tmp_path / "w.duckdb"
    try:
        run_ingest(monkeypatch, db, conn, {"start": "2025-06-10", "end": "2025-06-12"})
        refreshes, injected = ga4.app.token_refreshes, ga4.app.injector.injected
    finally:
        ga4.emulator.stop()
    assert injected.get("expired_token", 0) >= 1 and refreshes > injected["expired_token"]
    window = (date(2025, 6, 7), date(2025, 6, 12))
    assert loaded_report(db) == expected_report(tiny_world, date(2026, 1, 1), *window)
