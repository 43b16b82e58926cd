"""Google Ads connector vs the emulator: raw tables equal the sandbox's truth, whatever fails."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

# Airflow sets up logging when first imported (replacing the root handlers): import it now,
# before pytest's caplog attaches to a test, so log assertions do not depend on test order.
import airflow.sdk  # noqa: F401
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


#: One ad reports a negative click count on one March day, and on eleven April days (one more
#: than a window may hold: max(10, 1 % of its ~350 rows)).
ONE_BAD = [BAD_DAY]
TOO_MANY_BAD = [date(2025, 4, d) for d in range(2, 13)]


def negative_clicks(world: Any, bad_days: list[date]) -> Callable[[date], pa.Table]:
    """The platform reports clicks of -1 for the first ad of each bad day (a data fault)."""

    def view(today: date) -> pa.Table:
        data = platform_view(world, "google_ads_metrics_daily", as_of=today)
        clicks, dates = data["clicks"].to_pylist(), data["date"].to_pylist()
        for day in bad_days:
            clicks[dates.index(day)] = -1
        index = data.schema.get_field_index("clicks")
        return data.set_column(index, "clicks", pa.array(clicks, data.schema.field(index).type))

    return view


@pytest.fixture(scope="module")
def corrupted(tiny_world: Any, home: Path) -> Iterator[tuple[Any, dict]]:
    emulator, conn = start(
        tiny_world, home, metrics_view=negative_clicks(tiny_world, ONE_BAD + TOO_MANY_BAD)
    )
    yield emulator, conn
    emulator.stop()


def quarantined(settings: Any) -> list[dict]:
    with get_warehouse(settings) as warehouse:
        return warehouse.query(
            "select window_start, window_end, reason, row_json "
            "from quarantine.google_ads_ad_metrics_daily"
        ).to_pylist()


def cursor_of(settings: Any) -> str | None:
    with get_warehouse(settings) as warehouse:
        return warehouse.get_state("google_ads.ad_metrics_daily.cursor")


def test_one_bad_record_in_a_31_day_window_is_quarantined_alone(
    corrupted, tiny_world, settings, run, caplog
) -> None:
    emulator, conn = corrupted
    with caplog.at_level(logging.WARNING):
        summary = run(conn, "2025-03-01", "2025-03-31", params={"lookback_days": 0})
    assert summary["quarantined"] == [] and summary["quarantined_records"] == {METRICS: 1}
    assert f"1 bad record(s) of {METRICS}; the rest of their windows loaded" in caplog.text
    (held,) = quarantined(settings)
    assert (held["window_start"], held["window_end"]) == (date(2025, 3, 1), date(2025, 3, 31))
    assert held["reason"] == (
        'breaks expect_column_values_to_be_between({"column": "clicks", "min_value": 0.0})'
    )
    bad = json.loads(held["row_json"])
    assert (bad["clicks"], bad["date"]) == (-1, BAD_DAY.isoformat())
    # every other record of the month loaded, exactly as the platform has it
    month = truth(tiny_world, emulator.today, date(2025, 3, 1), date(2025, 3, 31))
    is_bad = pc.and_(
        pc.equal(month["ad_id"], bad["ad_id"]),
        pc.equal(month["date"], pa.scalar(BAD_DAY, pa.date32())),
    )
    assert pc.sum(is_bad).as_py() == 1
    assert rows_of(table(settings, METRICS)) == rows_of(month.filter(pc.invert(is_bad)))
    assert cursor_of(settings) == "2025-03-31"


def test_too_many_bad_records_refuse_the_window(corrupted, tiny_world, settings, run) -> None:
    with pytest.raises(GoogleAdsQuarantineError) as failure:
        run(corrupted[1], "2025-04-01", "2025-04-30", params={"lookback_days": 0})
    message = str(failure.value)
    assert message.startswith("google_ads: 1 window(s) quarantined, the rest loaded")
    assert f"{METRICS} 2025-04-01..2025-04-30: {METRICS}: 11 of " in message
    assert "more than the 10 a window may hold" in message
    with get_warehouse(settings) as warehouse:
        assert not warehouse.table_exists(METRICS)  # nothing of the window loaded
    held = quarantined(settings)
    april = truth(tiny_world, corrupted[0].today, date(2025, 4, 1), date(2025, 4, 30))
    assert len(held) == april.num_rows  # the whole window: nothing of it lost
    assert {r["window_start"] for r in held} == {date(2025, 4, 1)}
    assert sum(r["reason"].startswith("breaks ") for r in held) == 11  # the bad ones: which rule
    assert cursor_of(settings) is None  # the window is pulled again by the next run


def test_a_window_disagreeing_with_the_account_totals_is_refused(
    clean, tiny_world, settings, run, monkeypatch
) -> None:
    from ingestion.google_ads.client import AdsApi
    from ingestion.google_ads.schema import CUSTOMER_TOTALS

    real = AdsApi.fetch

    def one_impression_more_from_may_11(self, customer, stream, window=None):
        data = real(self, customer, stream, window)
        if stream is CUSTOMER_TOTALS and window[0] >= date(2025, 5, 11):
            impressions = pc.add(data["impressions"], 1)
            data = data.set_column(data.schema.get_field_index("impressions"), "impressions",
                                   impressions)  # fmt: skip
        return data

    monkeypatch.setattr(AdsApi, "fetch", one_impression_more_from_may_11)
    emulator, conn = clean
    with pytest.raises(GoogleAdsQuarantineError) as failure:
        run(conn, "2025-05-01", "2025-05-20", params={"lookback_days": 0, "window_days": 10})
    message = str(failure.value)
    assert f"{METRICS} 2025-05-11..2025-05-20: {METRICS}: window rule(s) failed: " in message
    assert "expect_column_sum_to_be_between" in message and '"column": "impressions"' in message
    assert "2025-05-01..2025-05-10" not in message
    first_window = truth(tiny_world, emulator.today, date(2025, 5, 1), date(2025, 5, 10))
    assert rows_of(table(settings, METRICS)) == rows_of(first_window)
    held = quarantined(settings)
    assert {(r["window_start"], r["window_end"]) for r in held} == {
        (date(2025, 5, 11), date(2025, 5, 20))
    }
    second_window = truth(tiny_world, emulator.today, date(2025, 5, 11), date(2025, 5, 20))
    assert len(held) == second_window.num_rows  # all of it, nothing lost
    assert cursor_of(settings) == "2025-05-10"


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


def test_wrong_credentials_give_one_line_and_no_traceback(clean, settings, run, caplog, capfd):
    conn = clean[1]
    broken = {**conn, "extra": {**conn["extra"], "refresh_token": "1//revoked"}}
    with caplog.at_level(logging.DEBUG), pytest.raises(GoogleAdsSourceError) as failure:
        run(broken, "2025-03-01", params={"lookback_days": 0})
    assert str(failure.value) == (
        f"google_ads campaigns customer {conn['extra']['customer_ids'][0]} failed: the OAuth "
        "token endpoint refused the credentials (invalid_grant: Token has been expired or "
        "revoked.); renew the refresh_token (or the OAuth client id/secret, the login and "
        "password) of Airflow connection 'mdp_google_ads'"
    )
    out, err = capfd.readouterr()
    for text in (out, err, caplog.text):
        assert "Traceback" not in text
    assert "Request made" not in out + err  # google-ads' own fault line: kept at DEBUG
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in loud if r.name.startswith(("grpc", "google"))], loud
    assert not [r for r in caplog.records if r.exc_info]
    # the client libraries' own reports are kept, one line each, at DEBUG
    assert any("grpc._plugin_wrapping" in r.getMessage() and "RefreshError" in r.getMessage()
               for r in caplog.records if r.levelno == logging.DEBUG)  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "field", "value"),
    [
        ({"customer_ids": ["123-456-789"]}, "customer_ids", "123-456-789"),
        ({"customer_ids": ["1234567890/x"]}, "customer_ids", "1234567890/x"),
        ({"customer_ids": "12345678901"}, "customer_ids", "12345678901"),
        ({"login_customer_id": "abc"}, "login_customer_id", "abc"),
    ],
)
def test_a_customer_id_not_in_googles_format_is_refused(extra, field, value) -> None:
    from types import SimpleNamespace

    from ingestion.google_ads import AdsConnection
    from mdp.errors import ConfigError

    base = {"developer_token": "d", "refresh_token": "r", "customer_ids": ["123-456-7890"]}
    connection = SimpleNamespace(login="id", password="secret", extra_dejson={**base, **extra})
    with pytest.raises(ConfigError) as error:
        AdsConnection.from_airflow("mdp_google_ads", connection)
    assert str(error.value) == (
        f"Airflow connection 'mdp_google_ads': extra field {field} has {value!r}, which is not a "
        "Google Ads customer id (10 digits, dashes allowed: 123-456-7890)"
    )
    good = SimpleNamespace(login="id", password="secret",
                           extra_dejson={**base, "login_customer_id": 9876543210})  # fmt: skip
    parsed = AdsConnection.from_airflow("mdp_google_ads", good)
    assert (parsed.customer_ids, parsed.login_customer_id) == (("1234567890",), "9876543210")


@pytest.mark.parametrize(
    ("stored", "problem"),
    [("garbage", "which is not a date like 2025-01-31"), ("2099-01-01", "which is in the future")],
)
def test_a_corrupt_cursor_stops_the_run_with_the_reset_command(
    clean, settings, run, stored, problem
) -> None:
    key = "google_ads.ad_metrics_daily.cursor"
    with get_warehouse(settings) as warehouse:
        warehouse.set_state(key, stored)
    from ingestion.common.errors import StateError

    with pytest.raises(StateError) as error:
        run(clean[1], "2025-03-01", params={"lookback_days": 0})
    assert str(error.value) == (
        f"state key '{key}' holds '{stored}', {problem}; see it with `mdp state show "
        "google_ads` and reset it with `mdp state reset google_ads ad_metrics_daily` (the next "
        "run then syncs from scratch)"
    )
    assert cursor_of(settings) == stored


def test_a_window_in_the_future_is_refused_before_any_request(clean, settings, run) -> None:
    from mdp.errors import ConfigError
    from mdp.runtime.dates import today

    with pytest.raises(ConfigError) as error:
        run(clean[1], "2099-01-01")
    assert str(error.value) == f"end 2099-01-01 is in the future (today is {today()})"
    assert cursor_of(settings) is None


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
    from mdp.errors import ConfigError

    for bad in ({"lookback_days": "a month"}, {"window_days": 0}, {"lookback_days": -1}):
        with pytest.raises(ConfigError, match="must be a whole number of days"):
            options_from(bad, SyncOptions())


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
