"""The totals truth table equals what the tables add up to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sandbox.world import World


def _totals(world: World) -> pd.Series:
    frame = world.truth["totals"].to_pandas()
    return frame.set_index(["source", "metric", "period"])["value"]


def test_row_counts_and_platform_sums_match(small_world: World) -> None:
    totals = _totals(small_world)
    for name, table in small_world.tables.items():
        assert totals[(name, "rows", "all")] == table.num_rows
    meta = small_world.tables["meta_ad_insights_daily"].to_pandas()
    google = small_world.tables["google_ads_metrics_daily"].to_pandas()
    for column in ("spend", "impressions", "clicks", "lead_7d_click", "purchase_value_7d_click"):
        assert totals[("meta_ad_insights_daily", column, "all")] == pytest.approx(
            meta[column].sum()
        )
    for column in ("cost_micros", "clicks", "conversions", "conversions_value"):
        assert totals[("google_ads_metrics_daily", column, "all")] == pytest.approx(
            google[column].sum()
        )


def test_web_and_crm_totals_match(small_world: World) -> None:
    totals = _totals(small_world)
    events = small_world.tables["ga4_events"].to_pandas()
    assert (
        totals[("ga4_events", "events:generate_lead", "all")]
        == (events["event_name"] == "generate_lead").sum()
    )
    revenue = events.loc[events["event_name"] == "purchase", "event_value"].sum()
    assert totals[("ga4_events", "purchase_revenue", "all")] == pytest.approx(revenue)
    leads = small_world.tables["sf_lead"].to_pandas()
    assert totals[("sf_lead", "leads", "all")] == (~leads["IsDeleted"]).sum()
    opps = small_world.tables["sf_opportunity"].to_pandas()
    won = opps.loc[opps["IsWon"] & ~opps["IsDeleted"], "Amount"].sum()
    assert totals[("sf_opportunity", "won_amount", "all")] == pytest.approx(won)
    spend = small_world.tables["meta_ad_insights_daily"].to_pandas()["spend"].sum() + (
        small_world.tables["google_ads_metrics_daily"].to_pandas()["cost_micros"].sum() / 1e6
    )
    assert totals[("sf_campaign", "actual_cost", "all")] == pytest.approx(spend, abs=0.05)


def test_mrr_per_month_is_derivable_from_subscriptions(small_world: World) -> None:
    """MRR(month) = Σ MRR__c of live Subscription__c rows covering the month's first day."""
    subs = small_world.tables["sf_subscription"].to_pandas()
    subs = subs.loc[~subs["IsDeleted"]]
    totals = _totals(small_world)
    months = pd.period_range(small_world.config.start, small_world.config.end, freq="M")
    start = pd.to_datetime(subs["Start_Date__c"])
    end = pd.to_datetime(subs["End_Date__c"])
    for month in months:
        first_day = month.to_timestamp()
        live = (start <= first_day) & (end.isna() | (end >= first_day))
        derived = round(subs.loc[live, "MRR__c"].sum(), 2)
        assert np.isclose(derived, totals[("sf_subscription", "mrr", str(month))], atol=0.01)
