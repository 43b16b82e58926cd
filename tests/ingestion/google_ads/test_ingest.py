"""Google Ads connector vs the emulator: raw tables equal the sandbox's truth, whatever fails."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ingestion.common.metadata import LOAD_COLUMNS
from ingestion.common.retry import RetryPolicy
from ingestion.google_ads import (
    GoogleAdsQuarantineError,
    GoogleAdsSourceError,
    SyncOptions,
    ingest,
)
from mdp.warehouse import get_warehouse
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.google_ads import GoogleAdsEmulator
from sandbox.world import platform_view

METRICS = "raw.google_ads_ad_metrics_daily"
SUMS = ("cost_micros", "impressions", "clicks", "conversions", "conversions_value")
ENV = "AIRFLOW_CONN_MDP_GOOGLE_ADS"
#: Waits capped small: the emulator's 30 s retry_delay would otherwise be honoured in full.
FAST = RetryPolicy(attempts=8, base_seconds=0.01, max_wait_seconds=0.02)
BAD_DAY = date(2025, 3, 5)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("google_ads")


NO_FAULTS = FaultConfig()


def start(world: Any, home: Path, faults: FaultConfig = NO_FAULTS, **kwargs: Any) -> Any:
    # batch_size 4: every day's SearchStream spans several responses
    emulator = GoogleAdsEmulator(batch_size=4, **kwargs)
    info = emulator.start(world, faults, home)
    return emulator, info.connections["mdp_google_ads"]


@pytest.fixture(scope="module")
def clean(tiny_world: Any, home: Path) -> Iterator[tuple[Any, dict]]:
    emulator, conn = start(tiny_world, home)
    yield emulator, conn
    emulator.stop()


@pytest.fixture
def run(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict]:
    """Run `ingest` against a given emulator connection, as the DAG task would."""

    def go(conn: dict, start: str, end: str | None = None, **kwargs: Any) -> dict:
        monkeypatch.setenv(ENV, json.dumps(conn))
        params = {"start": start, "end": end or start, **kwargs.pop("params", {})}
        kwargs.setdefault("policy", FAST)
        return ingest(params, None, kwargs.pop("run_id", "test"), docs=False, **kwargs)

    return go


def table(settings: Any, name: str) -> pa.Table:
    with get_warehouse(settings) as warehouse:
        return warehouse.query(f"select * from {name}")


def checksum(settings: Any, name: str = METRICS) -> Any:
    with get_warehouse(settings) as warehouse:
        return warehouse.checksum(name, exclude=LOAD_COLUMNS)


def truth(world: Any, as_of: date, first: date, last: date) -> pa.Table:
    view = platform_view(world, "google_ads_metrics_daily", as_of=as_of)
    keep = pc.and_(
        pc.greater_equal(view["date"], pa.scalar(first, pa.date32())),
        pc.less_equal(view["date"], pa.scalar(last, pa.date32())),
    )
    return view.filter(keep)


def rows_of(data: pa.Table) -> list[tuple]:
    columns = ["customer_id", "campaign_id", "ad_group_id", "ad_id", "date", *SUMS]
    columns.append("all_conversions")
    return sorted(zip(*(data.column(c).to_pylist() for c in columns), strict=True))


def assert_equals_truth(settings: Any, expected: pa.Table) -> None:
    loaded = table(settings, METRICS)
    assert loaded.num_rows == expected.num_rows
    for column in SUMS:
        assert pc.sum(loaded[column]).as_py() == pytest.approx(pc.sum(expected[column]).as_py())
    assert rows_of(loaded) == rows_of(expected)  # every row, every metric, exactly


def test_raw_tables_equal_the_world(clean, tiny_world, settings, run) -> None:
    emulator, conn = clean
    summary = run(conn, "2025-02-10", "2025-02-20", params={"lookback_days": 5})
    first, last = date(2025, 2, 5), date(2025, 2, 20)  # the lookback is pulled too
    assert (summary["start"], summary["end"]) == (first.isoformat(), last.isoformat())
    assert_equals_truth(settings, truth(tiny_world, emulator.today, first, last))

    metrics = table(settings, METRICS)
    micros = pc.sum(metrics["cost_micros"]).as_py()
    assert pc.sum(metrics["cost"]).as_py() * 1_000_000 == micros  # exact decimal, not a float
    campaigns = table(settings, "raw.google_ads_campaigns").to_pylist()
    world_campaigns = tiny_world.tables["google_ads_campaigns"].to_pylist()
    assert sorted((c["campaign_id"], c["name"], c["status"]) for c in campaigns) == sorted(
        (c["id"], c["name"], c["status"]) for c in world_campaigns
    )
    assert {c["campaign_id"]: c["start_date_time"].date() for c in campaigns} == {
        c["id"]: c["start_date"] for c in world_campaigns
    }
    groups = table(settings, "raw.google_ads_ad_groups").to_pylist()
    assert sorted((g["ad_group_id"], g["campaign_id"], g["cpc_bid_micros"]) for g in groups) == (
        sorted(
            (g["id"], g["campaign_id"], g["cpc_bid_micros"])
            for g in tiny_world.tables["google_ads_ad_groups"].to_pylist()
        )
    )
    ads = table(settings, "raw.google_ads_ads").to_pylist()
    assert sorted((a["ad_id"], a["ad_group_id"], a["final_urls"], a["status"]) for a in ads) == (
        sorted(
            (a["ad_id"], a["ad_group_id"], a["final_urls"], a["status"])
            for a in tiny_world.tables["google_ads_ads"].to_pylist()
        )
    )


def test_faults_give_the_same_tables_and_the_log_shows_retries(
    clean, tiny_world, home, settings, run, caplog
) -> None:
    faults = FaultConfig(
        rate=0.1, seed=7, slow_seconds=0.2, data_faults=frozenset({"stream_abort"})
    )
    emulator, conn = start(tiny_world, home, faults)
    try:
        with caplog.at_level(logging.DEBUG):
            # day-sized windows: enough calls (66) for every fault kind to be injected
            params = {"lookback_days": 0, "window_days": 1}
            run(conn, "2025-02-01", "2025-02-21", params=params, timeout_seconds=2.0)
        injected = dict(emulator.service.faults.injected)
    finally:
        emulator.stop()
    faulty = checksum(settings)
    assert {"server_error", "expired_token", "rate_limit"} <= set(injected), injected
    log = caplog.text
    assert "retrying in" in log
    assert "RST_STREAM" in log  # a stream broken after its first batch was run again whole
    assert "authentication_error.OAUTH_TOKEN_EXPIRED" in log
    assert "access token refreshed" in log
    assert "quota_error.RESOURCE_TEMPORARILY_EXHAUSTED" in log
    for secret in (
        conn["password"],
        conn["extra"]["refresh_token"],
        conn["extra"]["developer_token"],
    ):
        assert secret not in log

    first, last = date(2025, 2, 1), date(2025, 2, 21)
    assert_equals_truth(settings, truth(tiny_world, emulator.today, first, last))
    with get_warehouse(settings) as warehouse:
        warehouse.query(f"delete from {METRICS}")
    run(clean[1], "2025-02-01", "2025-02-21", params={"lookback_days": 0})
    assert checksum(settings) == faulty


def test_rerun_and_backfill_equal_daily_runs(clean, settings, run, tmp_path, monkeypatch) -> None:
    conn = clean[1]
    lookback = {"lookback_days": 1}  # small: 30 daily runs must stay quick
    run(conn, "2025-04-01", "2025-04-30", params=lookback)  # one 31-day load window
    backfill = checksum(settings)
    run(conn, "2025-04-30", params=lookback, run_id="rerun")  # rerun of a day: no change
    assert checksum(settings) == backfill

    monkeypatch.setenv("MDP_DUCKDB_PATH", str(tmp_path / "daily.duckdb"))
    from mdp.settings import get_settings

    get_settings.cache_clear()
    for offset in range(30):
        day = datetime(2025, 4, 1) + timedelta(days=offset)
        monkeypatch.setenv(ENV, json.dumps(conn))
        ingest(dict(lookback), day, f"daily-{offset}", policy=FAST, docs=False)  # reruns each day
    daily = get_settings()
    assert checksum(daily) == backfill
    for name in ("raw.google_ads_campaigns", "raw.google_ads_ads"):
        assert checksum(daily, name) == checksum(settings, name)


def test_next_run_picks_up_restated_conversions(clean, tiny_world, settings, run) -> None:
    emulator, conn = clean
    try:
        emulator.set_today(date(2025, 3, 1))
        run(conn, "2025-02-28")
        before = table(settings, METRICS)
        emulator.set_today(date(2025, 3, 3))  # conversions of the last 30 days mature
        run(conn, "2025-03-02")
    finally:
        emulator.set_today(tiny_world.config.end + timedelta(days=1))
    new_truth = truth(tiny_world, date(2025, 3, 3), date(2025, 1, 29), date(2025, 3, 2))
    old_truth = truth(tiny_world, date(2025, 3, 1), date(2025, 1, 29), date(2025, 3, 2))
    assert rows_of(before) == rows_of(old_truth)
    assert rows_of(old_truth) != rows_of(new_truth)  # the sandbox did restate
    assert_equals_truth(settings, new_truth)


def corrupt_one_day(world: Any) -> Callable[[date], pa.Table]:
    """The platform reports a negative cost on BAD_DAY (a data fault the API could send)."""

    def view(today: date) -> pa.Table:
        data = platform_view(world, "google_ads_metrics_daily", as_of=today)
        bad = pc.equal(data["date"], pa.scalar(BAD_DAY, pa.date32()))
        cost = pc.if_else(bad, pc.negate(data["cost_micros"]), data["cost_micros"])
        return data.set_column(data.schema.get_field_index("cost_micros"), "cost_micros", cost)

    return view


def test_a_bad_day_is_quarantined_and_the_others_load(tiny_world, home, settings, run) -> None:
    emulator, conn = start(tiny_world, home, metrics_view=corrupt_one_day(tiny_world))
    try:
        with pytest.raises(GoogleAdsQuarantineError) as failure:
            # one-day load windows: the bad day alone is refused
            run(conn, "2025-03-03", "2025-03-07", params={"lookback_days": 0, "window_days": 1})
    finally:
        emulator.stop()
    message = str(failure.value)
    assert f"{METRICS} {BAD_DAY}..{BAD_DAY}" in message
    assert "cost_micros" in message
    loaded = table(settings, METRICS)
    assert BAD_DAY not in set(loaded["date"].to_pylist())
    good = truth(tiny_world, emulator.today, date(2025, 3, 3), date(2025, 3, 7))
    good = good.filter(pc.not_equal(good["date"], pa.scalar(BAD_DAY, pa.date32())))
    assert rows_of(loaded) == rows_of(good)
    with get_warehouse(settings) as warehouse:
        kept = warehouse.query(
            "select reason, row_json from quarantine.google_ads_ad_metrics_daily"
        )
        cursor = warehouse.get_state("google_ads.ad_metrics_daily.cursor")
    assert kept.num_rows == truth(tiny_world, emulator.today, BAD_DAY, BAD_DAY).num_rows
    assert all("cost_micros" in reason for reason in kept["reason"].to_pylist())
    assert cursor == (BAD_DAY - timedelta(days=1)).isoformat()  # the bad day is pulled again


def test_daily_quota_fails_fast_with_the_error_codes(clean, settings, run, caplog) -> None:
    emulator, conn = clean
    emulator.set_daily_quota_exhausted(True)
    try:
        with pytest.raises(GoogleAdsSourceError) as failure:
            run(conn, "2025-03-01", params={"lookback_days": 0})
    finally:
        emulator.set_daily_quota_exhausted(False)
    assert "quota_error.RESOURCE_EXHAUSTED" in str(failure.value)
    assert "daily quota exhausted" in str(failure.value)
    assert "retrying in" not in caplog.text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"developer_token": "not-a-token"}, "authentication_error.DEVELOPER_TOKEN_INVALID"),
        ({"customer_ids": ["1234567890"]}, "authorization_error.USER_PERMISSION_DENIED"),
        ({"refresh_token": "1//revoked"}, "invalid_grant"),
    ],
)
def test_refused_requests_name_the_reason(clean, settings, run, caplog, change, expected) -> None:
    conn = clean[1]
    broken = {**conn, "extra": {**conn["extra"], **change}}
    with pytest.raises(GoogleAdsSourceError) as failure:
        run(broken, "2025-03-01", params={"lookback_days": 0})
    assert expected in str(failure.value)
    assert "retrying in" not in caplog.text  # not worth retrying: fail at once


def test_cursor_fills_missed_days(clean, settings, run) -> None:
    conn = clean[1]
    run(conn, "2025-05-01", params={"lookback_days": 0})
    summary = run(conn, "2025-05-04", params={"lookback_days": 0})
    assert summary["start"] == "2025-05-02"  # days 2 and 3 were missed: pulled now
    loaded = set(table(settings, METRICS)["date"].to_pylist())
    assert {date(2025, 5, d) for d in range(1, 5)} <= loaded


def test_options_from_params() -> None:
    from ingestion.google_ads import options_from

    options = options_from({"lookback_days": "3", "window_days": None}, SyncOptions())
    assert (options.lookback_days, options.window_days) == (3, SyncOptions().window_days)


def test_dag_declares_every_raw_table_as_an_asset() -> None:
    import ast

    from ingestion.google_ads import RAW_TABLES
    from mdp import PROJECT_ROOT

    source = (PROJECT_ROOT / "dags" / "ingest_google_ads.py").read_text()
    assigned = next(
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.AnnAssign | ast.Assign)
        and "RAW_TABLES"
        in ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
    )
    assert ast.literal_eval(assigned) == RAW_TABLES
