"""raw.ga4_report_daily against the Data API emulator: the world's numbers, through GA4's errors."""

from __future__ import annotations

import json
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
        with caplog.at_level(logging.WARNING):
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
    refreshes = [r.getMessage() for r in caplog.records if "token rejected (401)" in r.getMessage()]
    assert len(refreshes) == injected["expired_token"]  # each refreshed and repeated, none lost


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


def test_expired_tokens_never_end_the_stream(tiny_world: Any, monkeypatch, tmp_path: Path, caplog):
    """Half of all calls answer 401 (expired token): every call is refreshed and repeated until
    it succeeds, outside the retry budget (2 attempts here), and the whole year loads."""
    faults = FaultConfig(rate=0.5, kinds=("expired_token",), seed=11)
    flaky = start(tiny_world, tmp_path / "expiring", faults)
    db = tmp_path / "w.duckdb"
    year = {"start": "2025-01-01", "end": "2025-12-31"}
    try:
        with caplog.at_level(logging.WARNING):
            summary = run_ingest(monkeypatch, db, flaky.conn(days_per_request=31,
                                                              retry_attempts=2), year)  # fmt: skip
        injected = dict(flaky.app.injector.injected)
    finally:
        flaky.emulator.stop()
    refreshed = [r.getMessage() for r in caplog.records if "token rejected (401)" in r.getMessage()]
    assert injected["expired_token"] >= 20 and len(refreshed) == injected["expired_token"]
    assert summary["report"]["token_refreshes"] == injected["expired_token"]
    assert any("(3/8)" in m for m in refreshed)  # a call refused three times in a row still won
    assert summary["report"]["quarantined"] == [] and summary["report"]["windows"] == 12
    pulled = (date(2024, 12, 29), date(2025, 12, 31))
    assert loaded_report(db) == expected_report(tiny_world, date(2026, 1, 1), *pulled)


def test_one_bad_report_row_is_quarantined_alone(
    ga4: Running, tiny_world: Any, monkeypatch, tmp_path: Path, caplog
) -> None:
    import pyarrow as pa

    real = Ga4ReportClient.report

    def negative_sessions_on_one_row(self, first: date, last: date):
        pages, totals = real(self, first, last)
        sessions = pages[0]["sessions"].to_pylist()
        sessions[0] = -1
        pages[0] = pages[0].set_column(pages[0].schema.get_field_index("sessions"), "sessions",
                                       pa.array(sessions, pa.int64()))  # fmt: skip
        return pages, totals

    monkeypatch.setattr(Ga4ReportClient, "report", negative_sessions_on_one_row)
    db = tmp_path / "w.duckdb"
    with caplog.at_level(logging.WARNING):
        summary = run_ingest(monkeypatch, db, ga4.conn(days_per_request=31),
                             {"start": "2025-06-04", "end": "2025-06-30"})  # fmt: skip
    assert summary["quarantined_records"] == {REPORT: 1}
    assert summary["report"]["quarantined"] == [] and summary["report"]["windows"] == 1
    assert f"1 bad record(s) of {REPORT}; the rest of their windows loaded" in caplog.text
    held = query(db, "select reason, row_json from quarantine.ga4_report_daily")
    assert len(held) == 1
    reason = held.reason[0]
    assert reason.startswith("breaks ")
    assert 'expect_column_values_to_be_between({"column": "sessions", "min_value": 0.0})' in reason
    assert '({"column_A": "sessions", "column_B": "total_users", "or_equal": true})' in reason
    bad = json.loads(held.row_json[0])
    key = (date.fromisoformat(bad["date"]), bad["session_source_medium"],
           bad["session_campaign_name"], bad["device_category"], bad["country"])  # fmt: skip
    expected = expected_report(tiny_world, ga4.app.snapshots.today, date(2025, 6, 1),
                               date(2025, 6, 30))  # fmt: skip
    assert key in expected
    del expected[key]
    assert loaded_report(db) == expected  # every other row, exactly


@pytest.mark.parametrize(
    ("stored", "problem"),
    [("garbage", "which is not a date like 2025-01-31"), ("2099-01-01", "which is in the future")],
)
def test_a_corrupt_cursor_stops_the_run_with_the_reset_command(
    ga4: Running, monkeypatch, tmp_path: Path, stored: str, problem: str
) -> None:
    from ingestion.common.errors import StateError

    db, key = tmp_path / "w.duckdb", "ga4.report_daily.cursor"
    with DuckDBWarehouse(db) as warehouse:
        warehouse.set_state(key, stored)
    with pytest.raises(StateError) as error:
        run_ingest(monkeypatch, db, ga4.conn(), day=date(2025, 6, 1))
    assert str(error.value) == (
        f"state key '{key}' holds '{stored}', {problem}; see it with `mdp state show ga4` and "
        "reset it with `mdp state reset ga4 report_daily` (the next run then syncs from scratch)"
    )
    with DuckDBWarehouse(db) as warehouse:
        assert warehouse.get_state(key) == stored
        assert not warehouse.table_exists(REPORT)


def test_a_window_in_the_future_is_refused(ga4: Running, monkeypatch, tmp_path: Path) -> None:
    from mdp.errors import ConfigError
    from mdp.runtime.dates import today

    db = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError) as error:
        run_ingest(monkeypatch, db, ga4.conn(), {"start": "2099-01-01", "end": "2099-01-01"})
    assert str(error.value) == f"end 2099-01-01 is in the future (today is {today()})"
    assert not db.exists()
