"""Daily paid delivery: budgets and pacing → spend → adstock → Hill response → clicks, sessions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from sandbox.world.alert_plants import AlertPlants, add_planted_draws, lower_ctr, plan_plants
from sandbox.world.config import WorldConfig
from sandbox.world.media_plan import META, PLATFORM_CLICKS, TYPICAL_PACING, MediaPlan, hill
from sandbox.world.rng import stream
from sandbox.world.timeline import Timeline

_EXTRA_CLICK_RATE = 0.3  # Meta "clicks (all)" beyond link clicks: likes, profile taps, expands


@dataclass(frozen=True)
class Delivery:
    """Realised delivery per ad-day and the expected (true) response per campaign-day."""

    ad_day: pd.DataFrame
    campaign_day: pd.DataFrame
    hill_scale: np.ndarray  # calibrated Hill scale per campaign (max expected clicks per day)
    plants: AlertPlants  # the planted alert conditions (sandbox/world/alert_plants.py)


def simulate_delivery(config: WorldConfig, timeline: Timeline, plan: MediaPlan) -> Delivery:
    """Spend every campaign's budget day by day and draw the traffic it buys."""
    rng = stream(config, "delivery")
    campaigns = plan.campaigns
    active = _active_matrix(campaigns, timeline.n_days)
    pacing = _pacing(rng, active.shape)
    target = plan.budget_schedule * pacing * active
    ads = plan.ads
    ad_spend = np.round(target[ads["campaign_idx"]] * ads["spend_weight"].to_numpy()[:, None], 2)
    spend = np.zeros_like(target)
    np.add.at(spend, ads["campaign_idx"].to_numpy(), ad_spend)
    adstock = _adstock(campaigns, spend)
    shape = (
        timeline.season[None, :]
        * hill(
            adstock,
            campaigns["hill_half_saturation"].to_numpy()[:, None],
            campaigns["hill_slope"].to_numpy()[:, None],
        )
        * active
    )
    scale = _calibrated_scale(config, campaigns, shape)
    expected = scale[:, None] * shape
    ad_expected = expected[ads["campaign_idx"]] * ads["click_weight"].to_numpy()[:, None]
    ad_day = _draw_ad_days(rng, config, ads, ad_spend, ad_expected)
    # The alert plants' extra spend comes after every natural draw, so none of them shifts.
    plants = plan_plants(config, plan, active)
    spend, adstock, planted = _planted(campaigns, timeline, target * plants.budget_factor, ads)
    expected_planted = scale[:, None] * planted["shape"]
    extra = (expected_planted - expected)[ads["campaign_idx"]] * ads["click_weight"].to_numpy()[
        :, None
    ]
    ad_day = add_planted_draws(
        stream(config, "alert_plants"), plan, ad_day, planted["ad_spend"], extra
    )
    ad_day = lower_ctr(plan, plants, ad_day)
    campaign_day = _campaign_day_frame(
        plan, spend, adstock, expected_planted, timeline.season, active
    )
    return Delivery(ad_day=ad_day, campaign_day=campaign_day, hill_scale=scale, plants=plants)


def _planted(
    campaigns: pd.DataFrame, timeline: Timeline, target: np.ndarray, ads: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Spend, adstock and response shape at the planted budgets."""
    ad_spend = np.round(target[ads["campaign_idx"]] * ads["spend_weight"].to_numpy()[:, None], 2)
    spend = np.zeros_like(target)
    np.add.at(spend, ads["campaign_idx"].to_numpy(), ad_spend)
    adstock = _adstock(campaigns, spend)
    shape = timeline.season[None, :] * hill(
        adstock,
        campaigns["hill_half_saturation"].to_numpy()[:, None],
        campaigns["hill_slope"].to_numpy()[:, None],
    )
    return spend, adstock, {"shape": shape * (target > 0), "ad_spend": ad_spend}


def _calibrated_scale(
    config: WorldConfig, campaigns: pd.DataFrame, shape: np.ndarray
) -> np.ndarray:
    """Rescale each platform's Hill scales so its expected yearly clicks hit the plan's target.

    Flights, pauses and budget steps are random; without this the paid share of traffic would
    swing from seed to seed and blur the channel ranking the truth tables promise.
    """
    scale = campaigns["hill_scale"].to_numpy().copy()
    platform = campaigns["platform"].to_numpy()
    for name, per_day in PLATFORM_CLICKS.items():
        mine = platform == name
        target = per_day * config.preset.traffic * config.n_days
        scale[mine] *= target / max((scale[mine, None] * shape[mine]).sum(), 1e-12)
    return scale


def _active_matrix(campaigns: pd.DataFrame, n_days: int) -> np.ndarray:
    day = np.arange(n_days)[None, :]
    col = {name: campaigns[name].to_numpy()[:, None] for name in campaigns.columns}
    in_flight = (col["flight_start"] <= day) & (day < col["flight_stop"])
    paused = (col["pause_start"] <= day) & (day < col["pause_stop"])
    return in_flight & ~paused


def _pacing(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Share of the daily budget spent: AR(1) wobble around the typical pacing, capped at 100 %."""
    noise = lfilter([1.0], [1.0, -0.7], rng.normal(0.0, 0.06, shape), axis=1)
    return np.clip(TYPICAL_PACING + noise, 0.3, 1.0)


def _adstock(campaigns: pd.DataFrame, spend: np.ndarray) -> np.ndarray:
    """Normalised geometric adstock A_t = decay·A_{t-1} + (1 − decay)·spend_t."""
    adstock = np.empty_like(spend)
    for i, decay in enumerate(campaigns["adstock_decay"].to_numpy()):
        running = campaigns["flight_start"].iat[i] < 0
        carried = campaigns["base_budget"].iat[i] * TYPICAL_PACING if running else 0.0
        adstock[i] = lfilter([1.0 - decay], [1.0, -decay], spend[i], zi=[decay * carried])[0]
    return adstock


def _campaign_day_frame(
    plan: MediaPlan,
    spend: np.ndarray,
    adstock: np.ndarray,
    expected: np.ndarray,
    season: np.ndarray,
    active: np.ndarray,
) -> pd.DataFrame:
    n_campaigns, n_days = spend.shape
    return pd.DataFrame(
        {
            "campaign_idx": np.repeat(np.arange(n_campaigns), n_days),
            "day_idx": np.tile(np.arange(n_days), n_campaigns),
            "budget": plan.budget_schedule.ravel(),
            "active": active.ravel(),
            "spend": np.round(spend.ravel(), 2),
            "adstock": adstock.ravel(),
            "season": np.tile(season, n_campaigns),
            "expected_clicks": expected.ravel(),
        }
    )


def _draw_ad_days(
    rng: np.random.Generator,
    config: WorldConfig,
    ads: pd.DataFrame,
    ad_spend: np.ndarray,
    ad_expected: np.ndarray,
) -> pd.DataFrame:
    ad_idx, day_idx = np.nonzero((ad_spend > 0) | (ad_expected > 0))
    lam = ad_expected[ad_idx, day_idx]
    platform = ads["platform"].to_numpy()[ad_idx]
    is_meta = platform == META
    ctr = ads["ctr"].to_numpy()[ad_idx]
    link_clicks = rng.poisson(lam)
    clicks = link_clicks + np.where(is_meta, rng.poisson(lam * _EXTRA_CLICK_RATE), 0)
    impressions = clicks + rng.poisson(lam * np.maximum(1.0 / ctr - 1.3, 0.0))
    impressions = np.maximum(impressions, (ad_spend[ad_idx, day_idx] > 0).astype(np.int64))
    frequency = 1.0 + rng.gamma(2.0, 0.12, len(ad_idx))
    reach = np.minimum(np.ceil(impressions / frequency), impressions).astype(np.int64)
    keep = np.where(is_meta, config.click_to_session_rate_meta, config.click_to_session_rate_google)
    sessions = rng.binomial(link_clicks, keep)
    new_share = ads["new_user_share"].to_numpy()[ad_idx]
    sessions_new = rng.binomial(sessions, new_share)
    frame = pd.DataFrame(
        {
            "ad_idx": ad_idx,
            "day_idx": day_idx,
            "spend": ad_spend[ad_idx, day_idx],
            "impressions": impressions,
            "reach": reach,
            "clicks": clicks,
            "link_clicks": link_clicks,
            "sessions_new": sessions_new,
            "sessions_returning": sessions - sessions_new,
        }
    )
    has_delivery = (frame["spend"] > 0) | (frame["impressions"] > 0)
    return frame.loc[has_delivery].reset_index(drop=True)
