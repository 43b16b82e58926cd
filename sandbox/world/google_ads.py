"""Google Ads API tables: campaigns, ad groups, ads and daily ad-level metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world.arrow_columns import dates
from sandbox.world.attribution import LEAD, PURCHASE
from sandbox.world.config import WorldConfig
from sandbox.world.delivery import Delivery
from sandbox.world.media_plan import GOOGLE, MediaPlan, lifecycle
from sandbox.world.site import Site
from sandbox.world.timeline import Timeline

_STATUS = {"active": "ENABLED", "paused": "PAUSED", "ended": "REMOVED"}
NO_END_DATE = np.datetime64("2037-12-30")  # what the API returns for campaigns without an end
_BIDDING = ("MAXIMIZE_CONVERSIONS", "TARGET_CPA", "MANUAL_CPC", "MAXIMIZE_CLICKS")
PRIMARY_CONVERSIONS = (LEAD, PURCHASE)  # "conversions"; sign-ups and trials only count in
# "all_conversions" (secondary conversion actions)


def google_tables(
    config: WorldConfig,
    timeline: Timeline,
    plan: MediaPlan,
    site: Site,
    delivery: Delivery,
    attributed: pd.DataFrame,
) -> dict[str, pa.Table]:
    """The four Google Ads tables; metrics hold final (fully matured) conversions."""
    is_google = (plan.campaigns["platform"] == GOOGLE).to_numpy()
    state = lifecycle(plan, timeline.n_days).loc[is_google]
    status = pd.Series(state["state"].map(_STATUS).to_numpy(), index=state.index)
    return {
        "google_ads_campaigns": _campaigns(timeline, plan, is_google, state),
        "google_ads_ad_groups": _ad_groups(plan, status),
        "google_ads_ads": _ads(config, plan, site, status),
        "google_ads_metrics_daily": _metrics(timeline, plan, delivery, attributed),
    }


def _campaigns(
    timeline: Timeline, plan: MediaPlan, is_google: np.ndarray, state: pd.DataFrame
) -> pa.Table:
    campaigns = plan.campaigns.loc[is_google]
    start = np.datetime64(timeline.config.start, "D")
    ended = (state["state"] == "ended").to_numpy()
    end_date = np.where(ended, start + campaigns["flight_stop"].to_numpy() - 1, NO_END_DATE)
    return pa.table(
        {
            "customer_id": np.full(len(campaigns), plan.google_customer_id),
            "id": campaigns["platform_id"].to_numpy(),
            "name": campaigns["name"].to_numpy(),
            "status": state["state"].map(_STATUS).to_numpy(),
            "advertising_channel_type": np.full(len(campaigns), "SEARCH"),
            "bidding_strategy_type": np.array(_BIDDING)[np.arange(len(campaigns)) % len(_BIDDING)],
            "campaign_budget_amount_micros": np.round(state["final_budget"] * 1e6).astype(np.int64),
            "start_date": dates(start + campaigns["flight_start"].to_numpy()),
            "end_date": dates(end_date.astype("datetime64[D]")),
        }
    )


def _ad_groups(plan: MediaPlan, status: pd.Series) -> pa.Table:
    groups = plan.groups.loc[plan.groups["platform"] == GOOGLE]
    campaign = plan.campaigns.loc[groups["campaign_idx"]]
    cpc = plan.campaigns["target_cpc"].to_numpy()[groups["campaign_idx"]]
    return pa.table(
        {
            "customer_id": np.full(len(groups), plan.google_customer_id),
            "id": groups["platform_id"].to_numpy(),
            "campaign_id": campaign["platform_id"].to_numpy(),
            "name": groups["name"].to_numpy(),
            "status": status.loc[groups["campaign_idx"]].to_numpy(),
            "type": np.full(len(groups), "SEARCH_STANDARD"),
            "cpc_bid_micros": np.round(np.round(1.2 * cpc, 2) * 1e6).astype(np.int64),
        }
    )


def _ads(config: WorldConfig, plan: MediaPlan, site: Site, status: pd.Series) -> pa.Table:
    ads = plan.ads.loc[plan.ads["platform"] == GOOGLE]
    landing = site.paths[site.campaign_landing[ads["campaign_idx"].to_numpy()]]
    urls = [[f"https://{config.site_host}{path}"] for path in landing]
    return pa.table(
        {
            "customer_id": np.full(len(ads), plan.google_customer_id),
            "ad_id": ads["platform_id"].to_numpy(),
            "ad_group_id": plan.groups["platform_id"].to_numpy()[ads["group_idx"]],
            "campaign_id": plan.campaigns["platform_id"].to_numpy()[ads["campaign_idx"]],
            "status": status.loc[ads["campaign_idx"]].to_numpy(),
            "type": np.full(len(ads), "RESPONSIVE_SEARCH_AD"),
            "final_urls": pa.array(urls, pa.list_(pa.string())),
        }
    )


def _metrics(
    timeline: Timeline, plan: MediaPlan, delivery: Delivery, attributed: pd.DataFrame
) -> pa.Table:
    ads = plan.ads
    rows = delivery.ad_day.loc[ads["platform"].to_numpy()[delivery.ad_day["ad_idx"]] == GOOGLE]
    rows = rows.sort_values(["day_idx", "ad_idx"], ignore_index=True)
    ad_idx = rows["ad_idx"].to_numpy()
    keys = pd.MultiIndex.from_arrays([rows["ad_idx"], rows["day_idx"]])
    sums = attributed.assign(
        primary=attributed["kind"].isin(PRIMARY_CONVERSIONS) * attributed["credit"],
        primary_value=attributed["kind"].isin(PRIMARY_CONVERSIONS) * attributed["value"],
    )
    grouped = sums.groupby(["ad_idx", "day_idx"])[["primary", "primary_value", "credit"]].sum()
    grouped = grouped.reindex(keys, fill_value=0.0)
    return pa.table(
        {
            "date": dates(timeline.days[rows["day_idx"].to_numpy()]),
            "customer_id": np.full(len(rows), plan.google_customer_id),
            "campaign_id": plan.campaigns["platform_id"].to_numpy()[
                ads["campaign_idx"].to_numpy()[ad_idx]
            ],
            "ad_group_id": plan.groups["platform_id"].to_numpy()[
                ads["group_idx"].to_numpy()[ad_idx]
            ],
            "ad_id": ads["platform_id"].to_numpy()[ad_idx],
            "cost_micros": np.round(rows["spend"].to_numpy() * 1e6).astype(np.int64),
            "impressions": rows["impressions"].to_numpy(),
            "clicks": rows["clicks"].to_numpy(),
            "conversions": np.round(grouped["primary"].to_numpy(), 6),
            "conversions_value": np.round(grouped["primary_value"].to_numpy(), 2),
            "all_conversions": np.round(grouped["credit"].to_numpy(), 6),
        }
    )
