"""platform_view: what a platform reports on a given day converges to the final tables."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow.compute as pc
import pytest

from sandbox.world import UnknownTableError, World, platform_view

REPORTS = {
    "meta_ad_insights_daily": ("ad_id", ("lead_7d_click", "lead_value_7d_click", "lead_1d_view")),
    "google_ads_metrics_daily": ("ad_id", ("conversions", "conversions_value", "all_conversions")),
}


def _by_key(table, key: str):  # type: ignore[no-untyped-def]
    return table.to_pandas().set_index(["date", key]).sort_index()


@pytest.mark.parametrize("name", REPORTS)
def test_only_finished_days_are_reported(tiny_world: World, name: str) -> None:
    as_of = date(2025, 6, 15)
    view = platform_view(tiny_world, name, as_of)
    assert pc.max(view["date"]).as_py() < as_of
    final = tiny_world.tables[name]
    assert view.num_rows == pc.sum(pc.less(final["date"], as_of)).as_py()


@pytest.mark.parametrize("name", REPORTS)
def test_conversions_only_grow_and_delivery_is_final(small_world: World, name: str) -> None:
    key, conversions = REPORTS[name]
    early = _by_key(platform_view(small_world, name, date(2025, 7, 1)), key)
    later = _by_key(platform_view(small_world, name, date(2025, 7, 20)), key).loc[early.index]
    final = _by_key(small_world.tables[name], key).loc[early.index]
    for column in conversions:
        assert (early[column] <= later[column] + 1e-9).all()
        assert (later[column] <= final[column] + 1e-9).all()
    recent = early.index.get_level_values("date") >= date(2025, 6, 20)
    assert (early.loc[recent, conversions[0]] < final.loc[recent, conversions[0]]).any()
    assert (early["clicks"] == final["clicks"]).all()
    assert (early["impressions"] == final["impressions"]).all()


@pytest.mark.parametrize("name", [*REPORTS, "ga4_events"])
def test_pulling_after_the_window_returns_the_final_table(small_world: World, name: str) -> None:
    as_of = small_world.config.end + timedelta(days=31)
    assert platform_view(small_world, name, as_of).equals(small_world.tables[name])


def test_ga4_recent_days_are_incomplete_then_fill_in(small_world: World) -> None:
    final = small_world.tables["ga4_events"]
    day = date(2025, 6, 10)
    counts = []
    for lag in (1, 2, 3, 4):
        view = platform_view(small_world, "ga4_events", day + timedelta(days=lag))
        counts.append(pc.sum(pc.equal(view["event_date"], day)).as_py())
    assert counts[0] < counts[1] < counts[2] < counts[3]
    assert counts[3] == pc.sum(pc.equal(final["event_date"], day)).as_py()
    view = platform_view(small_world, "ga4_events", day + timedelta(days=1))
    starts = view.filter(pc.equal(view["event_name"], "session_start"))
    sessions = set(
        zip(*(starts[c].to_pylist() for c in ("user_pseudo_id", "ga_session_id")), strict=True)
    )
    complete = set(
        zip(*(view[c].to_pylist() for c in ("user_pseudo_id", "ga_session_id")), strict=True)
    )
    assert complete == sessions  # sessions are missing whole, never in part
    assert np.isin(view["event_timestamp"].to_numpy(), final["event_timestamp"].to_numpy()).all()


def test_unknown_or_snapshot_tables_are_refused(tiny_world: World) -> None:
    with pytest.raises(UnknownTableError, match="snapshot"):
        platform_view(tiny_world, "sf_lead", date(2025, 6, 1))
