"""Planted alert conditions: overspend, broken conversion tracking, a low-CTR ad set, a spend spike.

The plants sit at the end of the world, where a daily alert run looks, and are sized against
the alert defaults (the seed's spend > 100 over 7 days, CTR < 1 %, so the tiny world's natural
campaigns stay below them). Extra spend buys clicks through the campaign's own response curve
(the truth stays exact), drawn from a separate stream so no other table's draws shift; the
extra clicks are low-intent and bounce before the tag, so GA4 and the CRM are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world.arrow_columns import dates
from sandbox.world.config import WorldConfig
from sandbox.world.media_plan import GOOGLE, META, TYPICAL_PACING, MediaPlan
from sandbox.world.timeline import Timeline

#: Days the planted spend runs at the end of the world: longer than an anomaly baseline
#: (4 same weekdays back), so the raised level is the norm by the last week.
STRETCH_DAYS = 35
CTR_DAYS = 14
WINDOW_DAYS = 7
#: What the plants aim past: the seed's spend guard and CTR floor, with margin.
TARGET_WINDOW_SPEND = 180.0
MIN_SPEND, MAX_ROAS, MAX_CTR = 100.0, 2.0, 0.01
PLANTED_CTR, PLANTED_IMPRESSIONS = 0.004, 1500
SPIKE_FACTOR = 4.0
LEAD, PURCHASE = "lead", "purchase"  # Meta action names (attribution.py; imported there late)


@dataclass(frozen=True)
class AlertPlants:
    """Which campaigns, ad set and day carry a planted condition (indices into the plan)."""

    budget_factor: np.ndarray  # (n_campaigns, n_days) multiplier on the daily budget
    overspend: int | None  # Meta campaign scaled into saturation
    tracking_broken: int | None  # Google campaign whose conversion tag stopped firing
    low_ctr_group: int | None
    spike_day: int
    first_day: int


def _steady_campaign(plan: MediaPlan, active: np.ndarray, platform: str, first: int) -> int | None:
    """The first campaign of a platform that delivers on every day of the stretch."""
    for idx in np.flatnonzero((plan.campaigns["platform"] == platform).to_numpy()):
        if active[idx, first:].all():
            return int(idx)
    return None


def plan_plants(config: WorldConfig, plan: MediaPlan, active: np.ndarray) -> AlertPlants:
    """Choose the planted campaigns and the budget multipliers (deterministic, no draws)."""
    n_days = config.n_days
    first = n_days - STRETCH_DAYS
    factor = np.ones((len(plan.campaigns), n_days))
    overspend = _steady_campaign(plan, active, META, first)
    broken = _steady_campaign(plan, active, GOOGLE, first)
    for idx in (overspend, broken):
        if idx is None:
            continue
        natural = plan.budget_schedule[idx, -WINDOW_DAYS:].sum() * TYPICAL_PACING
        factor[idx, first:] = max(2.0, TARGET_WINDOW_SPEND / max(natural, 0.01))
    spike_day = n_days - 2
    if broken is not None:
        factor[broken, spike_day] *= SPIKE_FACTOR
    group = None
    if overspend is not None:
        groups = np.flatnonzero((plan.groups["campaign_idx"] == overspend).to_numpy())
        group = int(groups[0])
    return AlertPlants(factor, overspend, broken, group, spike_day, first)


def add_planted_draws(
    rng: np.random.Generator,
    plan: MediaPlan,
    ad_day: pd.DataFrame,
    planted_spend: np.ndarray,
    extra_clicks: np.ndarray,
) -> pd.DataFrame:
    """Planted spend on each ad-day, plus the clicks and impressions its extra expected clicks
    buy (Poisson superposition: the sum is exactly Poisson at the planted response)."""
    out = ad_day.copy()
    a, d = out["ad_idx"].to_numpy(), out["day_idx"].to_numpy()
    lam = np.maximum(extra_clicks[a, d], 0.0)
    touched = np.flatnonzero((lam > 0) | (planted_spend[a, d] != out["spend"].to_numpy()))
    lam = lam[touched]
    is_meta = (plan.ads["platform"].to_numpy()[a[touched]]) == META
    ctr = plan.ads["ctr"].to_numpy()[a[touched]]
    link = rng.poisson(lam)
    clicks = link + np.where(is_meta, rng.poisson(lam * 0.3), 0)
    impressions = clicks + rng.poisson(lam * np.maximum(1.0 / ctr - 1.3, 0.0))
    col = out.columns.get_loc
    out.iloc[touched, col("spend")] = planted_spend[a[touched], d[touched]]
    out.iloc[touched, col("link_clicks")] += link
    out.iloc[touched, col("clicks")] += clicks
    out.iloc[touched, col("impressions")] += impressions
    out.iloc[touched, col("reach")] += np.ceil(impressions / 1.2).astype(np.int64)
    return out


def lower_ctr(plan: MediaPlan, plants: AlertPlants, ad_day: pd.DataFrame) -> pd.DataFrame:
    """The planted ad set's impressions multiplied over its last days (a placement change
    shows the ads where nobody clicks): CTR falls under the floor, clicks stay."""
    if plants.low_ctr_group is None:
        return ad_day
    group = plan.ads["group_idx"].to_numpy()[ad_day["ad_idx"].to_numpy()]
    last = ad_day["day_idx"].to_numpy() >= ad_day["day_idx"].max() - CTR_DAYS + 1
    rows = (group == plants.low_ctr_group) & last
    window = rows & (ad_day["day_idx"].to_numpy() > ad_day["day_idx"].max() - WINDOW_DAYS)
    impressions = max(int(ad_day.loc[window, "impressions"].sum()), 1)
    clicks = int(ad_day.loc[window, "clicks"].sum())
    needed = max(PLANTED_IMPRESSIONS / impressions, clicks / (PLANTED_CTR * impressions), 1.0)
    factor = int(np.ceil(needed))
    out = ad_day.copy()
    out.loc[rows, "impressions"] *= factor
    out.loc[rows, "reach"] *= factor
    return out


def break_tracking(plan: MediaPlan, plants: AlertPlants, attributed: pd.DataFrame) -> pd.DataFrame:
    """Google conversions of the broken campaign vanish over the stretch (the tag stopped)."""
    if plants.tracking_broken is None:
        return attributed
    campaign = plan.ads["campaign_idx"].to_numpy()[attributed["ad_idx"].to_numpy()]
    lost = (campaign == plants.tracking_broken) & (
        attributed["day_idx"].to_numpy() >= plants.first_day
    )
    return attributed.loc[~lost].reset_index(drop=True)


def _campaign_window(
    tables: dict[str, pa.Table], platform: str, last: np.datetime64
) -> pd.DataFrame:
    """Spend, conversions and value per campaign over the last window, from the platform table."""
    if platform == META:
        frame = tables["meta_ad_insights_daily"].to_pandas()
        frame["conversions"] = frame[f"{LEAD}_7d_click"] + frame[f"{PURCHASE}_7d_click"]
        frame["value"] = frame[f"{LEAD}_value_7d_click"] + frame[f"{PURCHASE}_value_7d_click"]
    else:
        frame = tables["google_ads_metrics_daily"].to_pandas()
        frame = frame.rename(columns={"conversions_value": "value"})
        frame["spend"] = frame["cost_micros"] / 1e6
    day = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
    frame = frame.loc[day > last - np.timedelta64(WINDOW_DAYS, "D")]
    return frame.groupby(frame["campaign_id"].astype(str))[["spend", "conversions", "value"]].sum()


def alert_truth(
    timeline: Timeline, plan: MediaPlan, plants: AlertPlants, tables: dict[str, pa.Table]
) -> pa.Table:
    """Every condition the plants put past the alert defaults on the world's last day.

    A planted campaign without conversions in the window is past both the no-conversion and
    the ROAS rule (ROAS 0); the seed raises both, so both are listed.
    """
    last = np.datetime64(timeline.days[-1], "D")
    start = np.datetime64(timeline.days[plants.first_day], "D")
    rows: list[tuple[str, str, str, str, np.datetime64]] = []
    for idx in (plants.overspend, plants.tracking_broken):
        if idx is None:
            continue
        platform = str(plan.campaigns["platform"].iat[idx])
        campaign_id = str(plan.campaigns["platform_id"].iat[idx])
        window = _campaign_window(tables, platform, last).loc[campaign_id]
        if window["spend"] > MIN_SPEND and window["value"] < MAX_ROAS * window["spend"]:
            rows.append(("low_roas", platform, "campaign", campaign_id, start))
        if window["spend"] > MIN_SPEND and window["conversions"] == 0:
            rows.append(("no_conversions", platform, "campaign", campaign_id, start))
    if plants.low_ctr_group is not None:
        group = str(plan.groups["platform_id"].iat[plants.low_ctr_group])
        ctr_start = last - np.timedelta64(CTR_DAYS - 1, "D")
        rows.append(("low_ctr", META, "ad_group", group, ctr_start))
    if plants.tracking_broken is not None:
        spike = np.datetime64(timeline.days[plants.spike_day], "D")
        rows.append(("anomaly_spend", "all", "total", "all", spike))
    return pa.table(
        {
            "rule": [r[0] for r in rows],
            "platform": [r[1] for r in rows],
            "entity_type": [r[2] for r in rows],
            "entity_id": [r[3] for r in rows],
            "start_date": dates(np.array([r[4] for r in rows], dtype="datetime64[D]")),
            "end_date": dates(np.full(len(rows), last, dtype="datetime64[D]")),
        }
    )
