"""Ad platform marts equal the tiny world's truth: delivery exactly, conversions once final.

Exact against the `totals` truth (period 'all'): per platform the row count, spend (Google:
cost_micros / 1e6), impressions and clicks, and Meta reach, compared in cents / units.
Conversions are restated by the platforms for the last 28 (Meta) / 30 (Google) days, so they are
compared with the world's final table only on days is_provisional leaves out, and must never
exceed it on provisional days.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from tests.dbt_project.conftest import scalar, truth_total

FACT = "marts.fct_ad_performance_daily"
DIM = "marts.dim_ad_campaigns"
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"

# (platform, truth source, truth metric, mart column, truth scale)
DELIVERY = [
    ("facebook_ads", "meta_ad_insights_daily", "spend", "spend", 1),
    ("facebook_ads", "meta_ad_insights_daily", "impressions", "impressions", 1),
    ("facebook_ads", "meta_ad_insights_daily", "clicks", "clicks", 1),
    ("facebook_ads", "meta_ad_insights_daily", "inline_link_clicks", "link_clicks", 1),
    ("facebook_ads", "meta_ad_insights_daily", "reach", "reach", 1),
    ("google_ads", "google_ads_metrics_daily", "cost_micros", "spend", 1e6),
    ("google_ads", "google_ads_metrics_daily", "impressions", "impressions", 1),
    ("google_ads", "google_ads_metrics_daily", "clicks", "clicks", 1),
]
PLATFORMS = {
    # platform: (world table, restatement var, paid utm_medium)
    "facebook_ads": ("meta_ad_insights_daily", "meta_restatement_days", "paid_social"),
    "google_ads": ("google_ads_metrics_daily", "google_ads_conversion_window_days", "cpc"),
}


def _var(name: str) -> int:
    return int(yaml.safe_load(PROJECT.read_text())["vars"][name])


def _world_conversions(world: Any, platform: str) -> Any:
    """The world's final per-row conversions and values as the mart defines them."""
    frame = world.tables[PLATFORMS[platform][0]].to_pandas()
    if platform == "facebook_ads":
        frame["conversions"] = frame["lead_7d_click"] + frame["purchase_7d_click"]
        frame["conversions_value"] = frame["lead_value_7d_click"] + frame["purchase_value_7d_click"]
    frame["date"] = frame["date"].map(lambda d: d if isinstance(d, date) else d.date())
    return frame


@pytest.mark.parametrize(("platform", "source", "metric", "column", "scale"), DELIVERY)
def test_delivery_totals_equal_the_platform(
    marts: Any, tiny_world: Any, platform: str, source: str, metric: str, column: str, scale: float
) -> None:
    expected = truth_total(tiny_world, source, metric) / scale
    total = scalar(marts, f"select sum({column}) from {FACT} where platform = '{platform}'")
    assert expected > 0
    assert round(float(total) * 100) == round(expected * 100)


@pytest.mark.parametrize(
    ("platform", "source"),
    [("facebook_ads", "meta_ad_insights_daily"), ("google_ads", "google_ads_metrics_daily")],
)
def test_one_row_per_platform_ad_and_day(
    marts: Any, tiny_world: Any, platform: str, source: str
) -> None:
    rows = scalar(marts, f"select count(*) from {FACT} where platform = '{platform}'")
    assert rows == truth_total(tiny_world, source, "rows")


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_is_provisional_is_exactly_the_last_n_days(
    marts: Any, tiny_world: Any, platform: str
) -> None:
    days = _var(PLATFORMS[platform][1])
    config = tiny_world.config
    assert (
        days
        == {
            "facebook_ads": config.restatement_days_meta,
            "google_ads": config.conversion_window_days_google,
        }[platform]
    )
    flags = marts.execute(
        f"select date, bool_and(is_provisional), bool_or(is_provisional) from {FACT} "
        f"where platform = '{platform}' group by date"
    ).fetchall()
    latest = max(day for day, _, _ in flags)
    assert latest == config.end
    first_provisional = latest - timedelta(days=days - 1)
    for day, all_flagged, any_flagged in flags:
        assert all_flagged == any_flagged == (day >= first_provisional), day
    assert sum(1 for _, flagged, _ in flags if flagged) == days


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_conversions_equal_the_final_figures_once_out_of_the_window(
    marts: Any, tiny_world: Any, platform: str
) -> None:
    world = _world_conversions(tiny_world, platform)
    cutoff = tiny_world.config.end - timedelta(days=_var(PLATFORMS[platform][1]))
    settled = world[world["date"] <= cutoff]
    recent = world[world["date"] > cutoff]
    final_conversions, final_value, open_conversions, open_value = marts.execute(
        "select"
        " sum(platform_conversions) filter (where not is_provisional),"
        " sum(platform_conversion_value) filter (where not is_provisional),"
        " coalesce(sum(platform_conversions) filter (where is_provisional), 0),"
        " coalesce(sum(platform_conversion_value) filter (where is_provisional), 0)"
        f" from {FACT} where platform = '{platform}'"
    ).fetchone()
    assert settled["conversions"].sum() > 0
    assert round(final_conversions, 4) == round(float(settled["conversions"].sum()), 4)
    assert round(final_value, 2) == round(float(settled["conversions_value"].sum()), 2)
    # restated figures only grow towards the final ones
    assert open_conversions <= float(recent["conversions"].sum()) + 1e-6
    assert open_value <= float(recent["conversions_value"].sum()) + 1e-6


def _paid_session_campaigns(world: Any) -> set[tuple[str, str, str]]:
    """(utm_medium, utm_campaign, utm_id) of every paid landing page in the world's GA4 events."""
    events = world.tables["ga4_events"].to_pandas()
    paid = events[events["session_medium"].isin(["cpc", "paid_social"])]
    found = set()
    for medium, campaign, url in paid[
        ["session_medium", "session_campaign", "page_location"]
    ].itertuples(index=False):
        utm_id = parse_qs(urlparse(str(url)).query).get("utm_id")
        if utm_id:
            found.add((str(medium), str(campaign), utm_id[0]))
    return found


def test_every_paid_session_joins_its_campaign(marts: Any, tiny_world: Any) -> None:
    from sandbox.world.ga4_sessions import channel_group

    sessions = _paid_session_campaigns(tiny_world)
    dim = {
        (medium, campaign, utm_id): (platform, channel)
        for platform, medium, campaign, utm_id, channel in marts.execute(
            f"select platform, utm_medium, utm_campaign, utm_id, channel from {DIM}"
        ).fetchall()
    }
    assert {medium for medium, _, _ in sessions} == {"cpc", "paid_social"}
    for medium, campaign, utm_id in sessions:
        platform, channel = dim[(medium, campaign, utm_id)]
        assert PLATFORMS[platform][2] == medium
        source = "google" if medium == "cpc" else "facebook"
        assert channel == channel_group(source, medium)


def test_one_campaign_row_per_platform_campaign_with_its_spend(marts: Any, tiny_world: Any) -> None:
    campaigns = dict(marts.execute(f"select platform, count(*) from {DIM} group by 1").fetchall())
    assert campaigns == {
        "facebook_ads": truth_total(tiny_world, "meta_campaigns", "rows"),
        "google_ads": truth_total(tiny_world, "google_ads_campaigns", "rows"),
    }
    spend = dict(
        marts.execute(f"select platform, sum(total_spend) from {DIM} group by 1").fetchall()
    )
    assert round(float(spend["facebook_ads"]) * 100) == round(
        truth_total(tiny_world, "meta_ad_insights_daily", "spend") * 100
    )
    assert round(float(spend["google_ads"]) * 100) == round(
        truth_total(tiny_world, "google_ads_metrics_daily", "cost_micros") / 1e4
    )
