"""Acceptance: alerts fire for the conditions planted in the tiny world, and nothing else, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from activation.alerts import run_alerts
from activation.alerts.run import evaluate
from mdp.warehouse import get_warehouse
from tests.activation.alerts.conftest import received

PLATFORMS = {"meta": "facebook_ads", "google": "google_ads", "all": "all"}


def _planted(world: Any) -> set[str]:
    """Condition keys of the planted alerts, as the alert rules name them."""
    truth = world.truth["alert_truth"].to_pandas()
    return {
        f"{r.rule}|{PLATFORMS[r.platform]}|{r.entity_type}|{r.entity_id}"
        for r in truth.itertuples()
    }


def test_the_world_plants_each_kind_of_condition(tiny_world: Any) -> None:
    rules = set(tiny_world.truth["alert_truth"].to_pandas()["rule"])
    assert {"low_roas", "no_conversions", "low_ctr", "anomaly_spend"} <= rules


def test_nothing_fires_before_the_plants(tiny_world: Any, warehouse_copy: Any) -> None:
    truth = tiny_world.truth["alert_truth"].to_pandas()
    before = pd.Timestamp(truth["start_date"].min()).date() - timedelta(days=1)
    with get_warehouse(warehouse_copy) as warehouse:
        assert evaluate(warehouse, warehouse_copy, before) == []


def test_planted_alerts_fire_once_each_and_clear(
    tiny_world: Any, warehouse_copy: Any, sink: Any
) -> None:
    planted = _planted(tiny_world)
    first = run_alerts(warehouse_copy)
    assert first.as_of == tiny_world.config.end
    assert {a.condition_key for a in first.alerts} == planted
    [message] = received(sink)  # one digest for the run
    assert first.notified == len(planted)
    blocks = message["payload"]["blocks"]
    assert blocks[0]["text"]["text"].startswith(f"{len(planted)} new alerts on {first.as_of}")
    # one line per alert, naming its entity and its figure
    lines = [
        line
        for block in blocks[1:]
        for line in block["text"]["text"].splitlines()
        if line.startswith("• ")
    ]
    assert len(lines) == len(planted)
    for alert in first.alerts:
        assert [line for line in lines if f"{alert.entity_name}" in line and alert.actual in line]

    second = run_alerts(warehouse_copy)
    assert (second.opened, second.held, second.notified) == (0, len(planted), 0)
    assert len(received(sink)) == 1

    with get_warehouse(warehouse_copy) as warehouse:
        rows = warehouse.query("select * from activation.alerts").to_pandas()
    assert set(rows["condition_key"]) == planted and set(rows["status"]) == {"open"}
    assert rows["notified_at"].notna().all()


def test_roas_and_ctr_figures_match_the_source_tables(tiny_world: Any, warehouse_copy: Any) -> None:
    """The alert's numbers, recomputed from the world's platform tables (not the marts)."""
    end = pd.Timestamp(tiny_world.config.end)
    google = tiny_world.tables["google_ads_metrics_daily"].to_pandas()
    google = google.loc[pd.to_datetime(google["date"]) > end - pd.Timedelta(days=7)]
    meta = tiny_world.tables["meta_ad_insights_daily"].to_pandas()
    meta = meta.loc[pd.to_datetime(meta["date"]) > end - pd.Timedelta(days=7)]
    with get_warehouse(warehouse_copy) as warehouse:
        alerts = {a.condition_key: a for a in evaluate(warehouse, warehouse_copy, end.date())}
    for key, alert in alerts.items():
        if alert.rule == "no_conversions" and alert.platform == "google_ads":
            mine = google.loc[google["campaign_id"].astype(str) == alert.entity_id]
            assert mine["conversions"].sum() == 0
            assert alert.actual == f"0 after {mine['cost_micros'].sum() / 1e6:,.2f} spend", key
        if alert.rule == "low_ctr":
            mine = meta.loc[meta["adset_id"].astype(str) == alert.entity_id]
            ctr = mine["clicks"].sum() / mine["impressions"].sum()
            assert ctr < 0.01
            assert alert.actual == f"{ctr:.2%} on {mine['impressions'].sum():,} impressions"
