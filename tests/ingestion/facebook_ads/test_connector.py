"""Meta Ads connector against the emulator: raw tables equal the world's truth exactly, with and
without faults, across reruns, backfills, restatement and a quarantined window."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from ingestion.facebook_ads import RAW_TABLES, MetaConfig, sync
from ingestion.facebook_ads.client import GraphClient
from ingestion.facebook_ads.errors import MetaAuthError, QuarantinedWindowsError
from mdp.warehouse.duckdb import DuckDBWarehouse
from sandbox.emulators.faults import FaultConfig
from sandbox.world import platform_view

from .conftest import SLOW_SECONDS
from .helpers import INSIGHTS, as_cents, checksums, query, run_into

FIRST, LAST = date(2025, 8, 3), date(2025, 8, 12)  # two days with leads
WINDOW = {"start": FIRST.isoformat(), "end": LAST.isoformat(), "lookback_days": 0}


def truth(world: Any, as_of: date, first: date, last: date) -> dict[str, Any]:
    """Row count and exact sums of the platform's view of [first, last] on `as_of`."""
    view = platform_view(world, "meta_ad_insights_daily", as_of=as_of)
    days = pc.field("date")
    view = view.filter((days >= first) & (days <= last))
    numeric = [
        c for c in view.column_names if c.startswith(("spend", "impr", "clicks", "lead", "purch"))
    ]
    sums = {c: pc.sum(view[c]).as_py() for c in numeric}
    return {
        "rows": view.num_rows,
        "spend": as_cents(round(sums["spend"], 2)),
        "impressions": sums["impressions"],
        "clicks": sums["clicks"],
        "leads_7d_click": sums["lead_7d_click"],
        "leads_1d_view": sums["lead_1d_view"],
        "leads": sums["lead_7d_click"] + sums["lead_1d_view"],
        "purchases_7d_click": sums["purchase_7d_click"],
        "purchase_value_7d_click": as_cents(round(sums["purchase_value_7d_click"], 2)),
        "lead_value_1d_view": as_cents(round(sums["lead_value_1d_view"], 2)),
        "lead_value_7d_click": as_cents(round(sums["lead_value_7d_click"], 2)),
    }


def loaded(path: Path, first: date, last: date) -> dict[str, Any]:
    row = query(
        path,
        f"""select count(*) as rows, sum(spend) as spend, sum(impressions) as impressions,
        sum(clicks) as clicks, sum(leads_7d_click) as leads_7d_click,
        sum(leads_1d_view) as leads_1d_view, sum(leads) as leads,
        sum(purchases_7d_click) as purchases_7d_click,
        sum(purchase_value_7d_click) as purchase_value_7d_click,
        sum(lead_value_1d_view) as lead_value_1d_view,
        sum(lead_value_7d_click) as lead_value_7d_click
        from {INSIGHTS} where date_start between '{first}' and '{last}'""",
    )[0]
    money = ("spend", "purchase_value_7d_click", "lead_value_1d_view", "lead_value_7d_click")
    return {k: as_cents(v) if k in money else v for k, v in row.items()}


@pytest.fixture(scope="module")
def clean(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fault-free 10-day load (async report runs) shared by the comparisons below."""
    path = tmp_path_factory.mktemp("clean") / "w.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_MDP_FACEBOOK_ADS", emulator.connection_json)
        summary = run_into(path, WINDOW)
    assert summary["quarantined"] == []
    return path


def test_insights_equal_the_platform_view(clean: Path, emulator: Any, tiny_world: Any) -> None:
    expected = truth(tiny_world, emulator.app.today, FIRST, LAST)
    assert expected["rows"] > 0 and expected["leads"] > 0
    assert loaded(clean, FIRST, LAST) == expected
    # every row carries the load metadata and the lossless action lists
    row = query(clean, f"select * from {INSIGHTS} where actions like '%\"lead\"%' limit 1")[0]
    assert row["_mdp_run_id"] == "test" and row["_mdp_loaded_at"] and row["_mdp_extracted_at"]
    assert '"action_type":"lead"' in row["actions"]


def test_objects_equal_the_world(clean: Path, tiny_world: Any) -> None:
    for entity, columns in (
        ("campaigns", "id, name, status, daily_budget, updated_time"),
        ("adsets", "id, campaign_id, name, status, daily_budget, updated_time"),
        ("ads", "id, adset_id, campaign_id, name, status, created_time"),
    ):
        world = tiny_world.tables[f"meta_{entity}"]
        names = [c.strip() for c in columns.split(",")]
        expected = sorted(world.select(names).to_pylist(), key=lambda r: r["id"])
        got = query(clean, f"select {columns} from raw.facebook_ads_{entity} order by id")
        assert got == expected, entity


def test_faults_give_identical_tables_and_logged_retries(
    clean: Path, meta_env: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    meta_env.app.set_faults(FaultConfig(rate=0.1, seed=3, slow_seconds=SLOW_SECONDS))
    with caplog.at_level(logging.WARNING):
        run_into(tmp_path / "faulty.duckdb", WINDOW)
    injected = meta_env.app.injector.injected
    assert sum(injected.values()) >= 2, injected
    assert checksums(tmp_path / "faulty.duckdb") == checksums(clean)
    assert "retrying in" in caplog.text
    token = MetaConfig.from_extra(_extra(meta_env), "x").access_token
    assert token not in caplog.text


def _extra(emulator: Any) -> dict[str, Any]:
    import json

    return json.loads(emulator.connection_json)["extra"]


def test_backfill_equals_daily_runs_and_reruns(meta_env: Any, tmp_path: Path) -> None:
    """30-day backfill (async jobs) vs 30 daily runs (sync requests): identical checksums."""
    config = MetaConfig.from_extra(_extra(meta_env), "mdp_facebook_ads").with_params(
        {"lookback_days": 0}
    )
    first, last = date(2025, 11, 1), date(2025, 11, 30)
    naps: list[float] = []
    with DuckDBWarehouse(tmp_path / "backfill.duckdb") as wh:
        sync(wh, GraphClient(config, sleep=naps.append), first, last, "backfill", backfill=True)
    # six 5-day jobs started together and polled with one back-off: the emulator finishes a
    # job on its 4th poll, so the group waits 3 times (one at a time would be 6 x 3)
    assert config.async_chunk_days == 5 and config.async_concurrent_jobs >= 6
    assert len(naps) == meta_env.app.options.polls_to_finish - 1
    with DuckDBWarehouse(tmp_path / "daily.duckdb") as wh:
        for offset in range(30):
            day = first + timedelta(days=offset)
            sync(wh, GraphClient(config), day, day, f"daily-{offset}")
        sync(wh, GraphClient(config), first, first, "rerun")
    daily = checksums(tmp_path / "daily.duckdb")
    assert daily == checksums(tmp_path / "backfill.duckdb")
    assert daily[INSIGHTS].rows > 0


def test_restatement_lands_on_the_next_run(meta_env: Any, tmp_path: Path, tiny_world: Any) -> None:
    path = tmp_path / "w.duckdb"
    first, last = date(2025, 8, 6), date(2025, 8, 12)
    meta_env.app.today = date(2025, 8, 14)
    run_into(path, {"start": first.isoformat(), "end": last.isoformat(), "lookback_days": 0})
    before = loaded(path, first, last)
    assert before == truth(tiny_world, date(2025, 8, 14), first, last)
    # a week later Meta has restated the conversion values; the next daily run re-pulls the
    # days inside its lookback (13 here to keep the test short; 28 by default)
    meta_env.app.today = date(2025, 8, 20)
    run_into(path, {"start": "2025-08-19", "end": "2025-08-19", "lookback_days": 13})
    after = loaded(path, first, last)
    assert after == truth(tiny_world, date(2025, 8, 20), first, last)
    assert after["lead_value_7d_click"] > before["lead_value_7d_click"]
    cursor = query(path, "select value from mdp_meta.state where key like 'facebook_ads.%'")
    assert cursor == [{"value": "2025-08-19"}]


def test_expired_token_fails_with_instructions_and_no_secret(meta_env: Any) -> None:
    extra = {**_extra(meta_env), "access_token": "EAAnot-the-token"}
    client = GraphClient(MetaConfig.from_extra(extra, "mdp_facebook_ads"))
    with pytest.raises(MetaAuthError, match="system-user token") as error:
        list(client.objects(extra["account_id"][0], "campaigns", ["id"]))
    assert "EAAnot-the-token" not in str(error.value)


def test_dag_outlets_name_every_raw_table() -> None:
    from dags.ingest_facebook_ads import RAW_TABLES as DAG_TABLES

    assert DAG_TABLES == RAW_TABLES


#: One ad reports a negative spend on one August day, and on eleven September days (one more
#: than a window may hold: max(10, 1 % of ~250 rows)).
ONE_BAD = [date(2025, 8, 5)]
TOO_MANY_BAD = [date(2025, 9, d) for d in range(2, 13)]
AUGUST = {"start": "2025-08-01", "end": "2025-08-31", "lookback_days": 0}
SEPTEMBER = {"start": "2025-09-01", "end": "2025-09-30", "lookback_days": 0}


def corrupted_view(world: Any, bad_days: list[date]) -> Any:
    """The platform's insights with the first ad of each bad day at spend -5."""
    import pyarrow as pa

    def view(as_of: date) -> pa.Table:
        table = platform_view(world, "meta_ad_insights_daily", as_of=as_of)
        spend, dates = table["spend"].to_pylist(), table["date"].to_pylist()
        for day in bad_days:
            if day in dates:
                spend[dates.index(day)] = -5.0
        return table.set_column(table.schema.get_field_index("spend"), "spend", pa.array(spend))

    return view


@pytest.fixture(scope="module")
def bad_emulator(tiny_world: Any) -> Any:
    """An emulator whose platform reports negative spends on ONE_BAD and TOO_MANY_BAD days."""
    import json

    from sandbox.emulators.facebook_ads.emulator import FacebookAdsEmulator
    from sandbox.emulators.facebook_ads.store import MetaStore

    view = corrupted_view(tiny_world, ONE_BAD + TOO_MANY_BAD)
    store = MetaStore.from_tables(
        tiny_world.tables, view, tiny_world.config.end, tiny_world.config.currency
    )
    emu = FacebookAdsEmulator()
    info = emu.start_on(store, FaultConfig(), tiny_world.config.seed)
    conn = info.connections["mdp_facebook_ads"]
    conn["extra"].update({"async_poll_seconds": 0.01, "max_retry_wait_seconds": 0.05})
    emu.connection_json = json.dumps(conn)  # type: ignore[attr-defined]
    yield emu
    emu.stop()


@pytest.fixture
def bad_env(bad_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AIRFLOW_CONN_MDP_FACEBOOK_ADS", bad_emulator.connection_json)
    return bad_emulator


def platform_rows(world: Any, as_of: date, first: date, last: date) -> set[tuple]:
    """(ad, day, spend in cents, impressions, clicks) of every platform row in [first, last]."""
    view = platform_view(world, "meta_ad_insights_daily", as_of=as_of).to_pylist()
    return {
        (str(r["ad_id"]), r["date"], as_cents(round(r["spend"], 2)), r["impressions"], r["clicks"])
        for r in view
        if first <= r["date"] <= last
    }


def loaded_rows(path: Path) -> set[tuple]:
    rows = query(path, f"select ad_id, date_start, spend, impressions, clicks from {INSIGHTS}")
    return {(r["ad_id"], r["date_start"], as_cents(r["spend"]), r["impressions"], r["clicks"])
            for r in rows}  # fmt: skip


def test_one_bad_record_in_a_31_day_window_is_quarantined_alone(
    bad_env: Any, tmp_path: Path, tiny_world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "w.duckdb"
    with caplog.at_level(logging.WARNING):
        summary = run_into(path, AUGUST)  # a 31-day async job, loaded as one window
    assert summary["windows"] == 4 and summary["quarantined"] == []
    assert summary["quarantined_records"] == {INSIGHTS: 1}
    assert f"1 bad record(s) of {INSIGHTS}; the rest of their windows loaded" in caplog.text
    held = query(path, "select window_start, window_end, reason, row_json "
                       "from quarantine.facebook_ads_insights")  # fmt: skip
    assert len(held) == 1
    assert (held[0]["window_start"], held[0]["window_end"]) == (date(2025, 8, 1), date(2025, 8, 31))
    assert held[0]["reason"] == 'breaks expect_column_values_to_be_between({"column": "spend", ' \
        '"min_value": 0.0})'  # fmt: skip
    bad = json.loads(held[0]["row_json"])
    assert (bad["spend"], bad["date_start"]) == ("-5", "2025-08-05")
    # every other record of the month loaded, exactly as the platform has it
    expected = platform_rows(tiny_world, bad_env.app.today, date(2025, 8, 1), date(2025, 8, 31))
    quarantined = next(r for r in expected if r[0] == bad["ad_id"] and r[1] == ONE_BAD[0])
    assert loaded_rows(path) == expected - {quarantined}
    with DuckDBWarehouse(path) as wh:
        assert wh.get_state("facebook_ads.insights.cursor") == "2025-08-31"


def test_too_many_bad_records_refuse_the_window(
    bad_env: Any, tmp_path: Path, tiny_world: Any
) -> None:
    path = tmp_path / "w.duckdb"
    with pytest.raises(QuarantinedWindowsError) as error:
        run_into(path, SEPTEMBER)
    message = str(error.value)
    assert message.startswith("facebook_ads: 1 window(s) quarantined (the other windows were")
    assert f"{INSIGHTS} 2025-09-01..2025-09-30: {INSIGHTS}: 11 of " in message
    assert "more than the 10 a window may hold" in message
    with DuckDBWarehouse(path) as wh:
        assert not wh.table_exists(INSIGHTS)  # nothing of the window loaded
    held = query(path, "select reason from quarantine.facebook_ads_insights")
    september = platform_rows(tiny_world, bad_env.app.today, date(2025, 9, 1), date(2025, 9, 30))
    assert len(held) == len(september)  # the whole window: nothing of it lost
    assert sum(r["reason"].startswith("breaks ") for r in held) == 11  # the bad ones: which rule
    with DuckDBWarehouse(path) as wh:
        assert wh.get_state("facebook_ads.insights.cursor") is None  # pulled again next run


def test_a_window_disagreeing_with_metas_totals_is_refused(
    meta_env: Any, tmp_path: Path, tiny_world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.facebook_ads.sync import AccountSync

    real = AccountSync._account_totals

    def one_impression_more_on_aug_20(self: Any, chunk: Any) -> dict:
        totals = real(self, chunk)
        if "2025-08-20" in totals:
            totals["2025-08-20"]["impressions"] += 1
        return totals

    monkeypatch.setattr(AccountSync, "_account_totals", one_impression_more_on_aug_20)
    path = tmp_path / "w.duckdb"
    params = {"start": "2025-07-25", "end": "2025-08-25", "lookback_days": 0}  # 2 async chunks
    with pytest.raises(QuarantinedWindowsError) as error:
        run_into(path, params)
    assert f"{INSIGHTS} 2025-08-24..2025-08-25" not in str(error.value)
    assert "window rule(s) failed: expect_column_sum_to_be_between" in str(error.value)
    assert '"column": "impressions"' in str(error.value)
    # the other window loaded whole; the refused one is whole in quarantine
    days = {r["date_start"] for r in query(path, f"select distinct date_start from {INSIGHTS}")}
    refused = [r for r in query(path, "select distinct window_start, window_end "
                                      "from quarantine.facebook_ads_insights")]  # fmt: skip
    assert len(refused) == 1
    first, last = refused[0]["window_start"], refused[0]["window_end"]
    assert first <= date(2025, 8, 20) <= last
    assert not any(first <= d <= last for d in days)
    expected = platform_rows(tiny_world, meta_env.app.today, date(2025, 7, 25), date(2025, 8, 25))
    assert loaded_rows(path) == {r for r in expected if not first <= r[1] <= last}
