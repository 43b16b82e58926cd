"""Meta Ads connector against the emulator: raw tables equal the world's truth exactly, with and
without faults, across reruns, backfills, restatement and a quarantined window."""

from __future__ import annotations

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


BAD_DAY = date(2025, 8, 5)


@pytest.fixture
def bad_emulator(tiny_world: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An emulator whose platform reports a negative spend for one ad on BAD_DAY."""
    import json

    import pyarrow as pa

    from sandbox.emulators.facebook_ads.emulator import FacebookAdsEmulator
    from sandbox.emulators.facebook_ads.store import MetaStore

    def view(as_of: date) -> pa.Table:
        table = platform_view(tiny_world, "meta_ad_insights_daily", as_of=as_of)
        first_bad = table["date"].to_pylist().index(BAD_DAY)
        spend = table["spend"].to_pylist()
        spend[first_bad] = -5.0
        return table.set_column(table.schema.get_field_index("spend"), "spend", pa.array(spend))

    store = MetaStore.from_tables(
        tiny_world.tables, view, tiny_world.config.end, tiny_world.config.currency
    )
    emu = FacebookAdsEmulator()
    info = emu.start_on(store, FaultConfig(), tiny_world.config.seed)
    conn = info.connections["mdp_facebook_ads"]
    conn["extra"].update({"async_poll_seconds": 0.01, "max_retry_wait_seconds": 0.05})
    monkeypatch.setenv("AIRFLOW_CONN_MDP_FACEBOOK_ADS", json.dumps(conn))
    yield emu
    emu.stop()


def test_bad_window_is_quarantined_and_others_load(bad_emulator: Any, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    params = {"start": "2025-08-04", "end": "2025-08-06", "lookback_days": 0}
    with pytest.raises(QuarantinedWindowsError, match=r"2025-08-05\.\.2025-08-05") as error:
        run_into(path, params)
    assert "spend" in str(error.value) and "min_value" in str(error.value)
    days = query(path, f"select distinct date_start from {INSIGHTS} order by 1")
    assert [r["date_start"] for r in days] == [date(2025, 8, 4), date(2025, 8, 6)]
    held = query(path, "select distinct window_start, reason from quarantine.facebook_ads_insights")
    assert [r["window_start"] for r in held] == [BAD_DAY]
    # the cursor does not move past a refused day, so the next run pulls it again
    with DuckDBWarehouse(path) as wh:
        assert wh.get_state("facebook_ads.insights.cursor") is None
