"""Meta Marketing API tables: campaigns, ad sets, ads and daily ad-level insights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world.arrow_columns import dates, day_time, optional, timestamps
from sandbox.world.attribution import LEAD, PURCHASE
from sandbox.world.config import WorldConfig
from sandbox.world.delivery import Delivery
from sandbox.world.media_plan import META, META_TEMPLATES, MediaPlan, lifecycle
from sandbox.world.rng import stream
from sandbox.world.timeline import Timeline

_STATUS = {"active": "ACTIVE", "paused": "PAUSED", "ended": "ARCHIVED"}
# Platform-modelled view-through conversions per impression (not backed by website events).
_VIEW_RATE = {LEAD: 4e-5, PURCHASE: 1e-5}
_VIEW_VALUE = {LEAD: 60.0, PURCHASE: 200.0}
ACTIONS = (LEAD, PURCHASE)
CONVERSION_COLUMNS = tuple(
    f"{action}{kind}_{window}"
    for action in ACTIONS
    for kind in ("", "_value")
    for window in ("1d_click", "7d_click", "1d_view")
)


def meta_tables(
    config: WorldConfig,
    timeline: Timeline,
    plan: MediaPlan,
    delivery: Delivery,
    attributed: pd.DataFrame,
) -> dict[str, pa.Table]:
    """The four Meta tables; insights hold final (fully matured) conversion counts."""
    rng = stream(config, "meta_tables")
    start = np.datetime64(config.start, "s")
    is_meta = (plan.campaigns["platform"] == META).to_numpy()
    campaigns = plan.campaigns.loc[is_meta]
    state = lifecycle(plan, timeline.n_days).loc[is_meta]
    created = day_time(
        start, campaigns["flight_start"] - 3, rng.integers(9, 17, len(campaigns)) * 3600
    )
    updated = day_time(start, state["last_change_day"], 16 * 3600)
    entity = pd.DataFrame(
        {"status": state["state"].map(_STATUS).to_numpy(), "created": created, "updated": updated},
        index=campaigns.index,
    )
    return {
        "meta_campaigns": _campaigns(start, plan, campaigns, state, entity),
        "meta_adsets": _adsets(plan, entity),
        "meta_ads": _ads(plan, entity),
        "meta_ad_insights_daily": _insights(rng, timeline, plan, delivery, attributed),
    }


def _campaigns(
    start: np.datetime64,
    plan: MediaPlan,
    campaigns: pd.DataFrame,
    state: pd.DataFrame,
    entity: pd.DataFrame,
) -> pa.Table:
    template = {t.name: t for t in META_TEMPLATES}
    cbo = campaigns["uses_campaign_budget"].to_numpy()
    budget = np.round(state["final_budget"].to_numpy() * 100).astype(np.int64)
    ended = (state["state"] == "ended").to_numpy()
    return pa.table(
        {
            "id": campaigns["platform_id"].astype(str).to_numpy(),
            "account_id": np.full(len(campaigns), plan.meta_account_id),
            "name": campaigns["name"].to_numpy(),
            "objective": [template[name].objective for name in campaigns["name"]],
            "status": entity["status"].to_numpy(),
            "daily_budget": optional(budget, ~cbo, pa.int64()),
            "created_time": timestamps(entity["created"].to_numpy()),
            "start_time": timestamps(day_time(start, campaigns["flight_start"], 7 * 3600)),
            "stop_time": timestamps(day_time(start, campaigns["flight_stop"], 0), mask=~ended),
            "updated_time": timestamps(entity["updated"].to_numpy()),
        }
    )


def _adsets(plan: MediaPlan, entity: pd.DataFrame) -> pa.Table:
    groups = plan.groups.loc[plan.groups["platform"] == META]
    campaign = plan.campaigns.loc[groups["campaign_idx"]]
    state = entity.loc[groups["campaign_idx"]]
    template = {t.name: t for t in META_TEMPLATES}
    budget = plan.budget_schedule[groups["campaign_idx"], -1] * groups["budget_share"].to_numpy()
    cbo = campaign["uses_campaign_budget"].to_numpy()
    return pa.table(
        {
            "id": groups["platform_id"].astype(str).to_numpy(),
            "campaign_id": campaign["platform_id"].astype(str).to_numpy(),
            "name": groups["name"].to_numpy(),
            "status": state["status"].to_numpy(),
            "daily_budget": optional(np.round(budget * 100).astype(np.int64), cbo, pa.int64()),
            "optimization_goal": [template[n].optimization_goal for n in campaign["name"]],
            "billing_event": np.full(len(groups), "IMPRESSIONS"),
            "created_time": timestamps(state["created"].to_numpy() + np.timedelta64(5, "m")),
            "updated_time": timestamps(state["updated"].to_numpy()),
        }
    )


def _ads(plan: MediaPlan, entity: pd.DataFrame) -> pa.Table:
    ads = plan.ads.loc[plan.ads["platform"] == META]
    state = entity.loc[ads["campaign_idx"]]
    return pa.table(
        {
            "id": ads["platform_id"].astype(str).to_numpy(),
            "adset_id": plan.groups["platform_id"].to_numpy()[ads["group_idx"]].astype(str),
            "campaign_id": plan.campaigns["platform_id"]
            .to_numpy()[ads["campaign_idx"]]
            .astype(str),
            "name": ads["name"].to_numpy(),
            "status": state["status"].to_numpy(),
            "creative_format": ads["creative"].to_numpy(),
            "created_time": timestamps(state["created"].to_numpy() + np.timedelta64(20, "m")),
            "updated_time": timestamps(state["updated"].to_numpy()),
        }
    )


def _insights(
    rng: np.random.Generator,
    timeline: Timeline,
    plan: MediaPlan,
    delivery: Delivery,
    attributed: pd.DataFrame,
) -> pa.Table:
    ads = plan.ads
    rows = delivery.ad_day.loc[ads["platform"].to_numpy()[delivery.ad_day["ad_idx"]] == META]
    rows = rows.sort_values(["day_idx", "ad_idx"], ignore_index=True)
    ad_idx = rows["ad_idx"].to_numpy()
    columns = {
        "date": dates(timeline.days[rows["day_idx"].to_numpy()]),
        "account_id": np.full(len(rows), plan.meta_account_id),
        "campaign_id": plan.campaigns["platform_id"]
        .to_numpy()[ads["campaign_idx"].to_numpy()[ad_idx]]
        .astype(str),
        "adset_id": plan.groups["platform_id"]
        .to_numpy()[ads["group_idx"].to_numpy()[ad_idx]]
        .astype(str),
        "ad_id": ads["platform_id"].to_numpy()[ad_idx].astype(str),
        "spend": rows["spend"].to_numpy(),
        "impressions": rows["impressions"].to_numpy(),
        "reach": rows["reach"].to_numpy(),
        "clicks": rows["clicks"].to_numpy(),
        "inline_link_clicks": rows["link_clicks"].to_numpy(),
    }
    columns.update(_conversion_columns(rng, rows, attributed))
    return pa.table(columns)


def _conversion_columns(
    rng: np.random.Generator, rows: pd.DataFrame, attributed: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Click-through counts from website conversions, view-through counts modelled."""
    keys = pd.MultiIndex.from_arrays([rows["ad_idx"], rows["day_idx"]])
    out: dict[str, np.ndarray] = {}
    for action in ACTIONS:
        mine = attributed.loc[attributed["kind"] == action]
        for window, subset in (("1d_click", mine.loc[mine["within_1d"]]), ("7d_click", mine)):
            grouped = subset.groupby(["ad_idx", "day_idx"])["value"].agg(["size", "sum"])
            grouped = grouped.reindex(keys, fill_value=0)
            out[f"{action}_{window}"] = grouped["size"].to_numpy().astype(np.int64)
            out[f"{action}_value_{window}"] = np.round(grouped["sum"].to_numpy(), 2)
        views = rng.poisson(rows["impressions"].to_numpy() * _VIEW_RATE[action])
        out[f"{action}_1d_view"] = views.astype(np.int64)
        out[f"{action}_value_1d_view"] = np.round(views * _VIEW_VALUE[action], 2)
    return {name: out[name] for name in CONVERSION_COLUMNS}
