"""The project builds on the tiny world: every model materialises and every dbt test passes."""

from __future__ import annotations

from typing import Any

from tests.dbt_project.conftest import scalar, truth_total


def test_every_raw_event_reaches_staging(marts: Any, tiny_world: Any) -> None:
    events = sum(
        row["value"]
        for row in tiny_world.truth["totals"].to_pylist()
        if row["source"] == "ga4_events"
        and row["metric"].startswith("events:")
        and row["period"] == "all"
    )
    staged = scalar(marts, "select count(*) from staging.stg_ga4__events")
    assert staged >= events > 0
    assert truth_total(tiny_world, "ga4_events", "events:page_view") == scalar(
        marts, "select count(*) from staging.stg_ga4__events where event_name = 'page_view'"
    )
