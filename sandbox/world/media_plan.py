"""The paid media plan: campaigns, ad sets / ad groups and ads with flights, budgets, curves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from sandbox.world.config import WorldConfig
from sandbox.world.ids import increasing_ids
from sandbox.world.rng import stream

META, GOOGLE = "meta", "google"
# Paid link clicks per day at small scale when every campaign spends its typical amount.
PLATFORM_CLICKS = {META: 6.9, GOOGLE: 7.25}
_CPC_RANGE = {META: (1.2, 2.6), GOOGLE: (2.5, 7.0)}
_DECAY_RANGE = {META: (0.30, 0.65), GOOGLE: (0.0, 0.30)}
_CTR_MEDIAN = {META: 0.011, GOOGLE: 0.055}
TYPICAL_PACING = 0.82  # share of the daily budget a healthy campaign spends


class MetaTemplate(NamedTuple):
    name: str
    objective: str
    optimization_goal: str
    adsets: tuple[str, ...]


class GoogleTemplate(NamedTuple):
    name: str
    keywords: tuple[str, ...]  # one ad group per keyword theme


META_TEMPLATES: tuple[MetaTemplate, ...] = (
    MetaTemplate(
        "Prospecting | Lookalike 1% | Demo",
        "OUTCOME_LEADS",
        "OFFSITE_CONVERSIONS",
        ("LAL 1% customers", "LAL 1% MQLs"),
    ),
    MetaTemplate(
        "Retargeting | Site visitors 30d",
        "OUTCOME_LEADS",
        "OFFSITE_CONVERSIONS",
        ("Visitors 30d", "Pricing visitors 14d"),
    ),
    MetaTemplate(
        "Prospecting | Interests RevOps",
        "OUTCOME_TRAFFIC",
        "LINK_CLICKS",
        ("RevOps interests", "Sales leaders", "Marketing ops"),
    ),
    MetaTemplate(
        "Awareness | Product video", "OUTCOME_AWARENESS", "REACH", ("Broad US", "Broad EU")
    ),
    MetaTemplate(
        "Webinar | Forecasting masterclass",
        "OUTCOME_LEADS",
        "LEAD_GENERATION",
        ("Job titles", "Engaged video viewers"),
    ),
    MetaTemplate(
        "Prospecting | Broad | Free trial",
        "OUTCOME_SALES",
        "OFFSITE_CONVERSIONS",
        ("Broad", "Advantage+ audience"),
    ),
    MetaTemplate(
        "Launch | AI forecasting",
        "OUTCOME_TRAFFIC",
        "LANDING_PAGE_VIEWS",
        ("Existing leads", "Lookalike 3%"),
    ),
    MetaTemplate(
        "Retargeting | Trial abandoners",
        "OUTCOME_SALES",
        "OFFSITE_CONVERSIONS",
        ("Signup page 7d",),
    ),
)
GOOGLE_TEMPLATES: tuple[GoogleTemplate, ...] = (
    GoogleTemplate("Search | Brand", ("mdp demo", "mdp demo pricing")),
    GoogleTemplate(
        "Search | Generic | Revenue analytics",
        ("revenue analytics software", "sales analytics tool", "pipeline analytics"),
    ),
    GoogleTemplate("Search | Competitors", ("hubspot alternative", "clari alternative")),
    GoogleTemplate("Search | Lead scoring", ("lead scoring software", "predictive lead scoring")),
    GoogleTemplate(
        "Search | Attribution", ("marketing attribution software", "multi touch attribution")
    ),
    GoogleTemplate("Search | Churn", ("churn prediction software", "customer health score")),
    GoogleTemplate("Search | Forecasting", ("sales forecasting software",)),
    GoogleTemplate("Search | RevOps platform", ("revops platform", "revenue operations tool")),
)


@dataclass(frozen=True)
class MediaPlan:
    """Campaign, group (Meta ad set / Google ad group) and ad frames of both platforms."""

    campaigns: pd.DataFrame  # one row per campaign, both platforms
    groups: pd.DataFrame
    ads: pd.DataFrame
    budget_schedule: np.ndarray  # (n_campaigns, n_days) daily budget in account currency
    meta_account_id: str  # numeric, without the "act_" prefix used in Graph API paths
    google_customer_id: int


def slug(text: str) -> str:
    """URL slug of a campaign or keyword name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build_media_plan(config: WorldConfig) -> MediaPlan:
    """Draw the campaign structure of both platforms for the configured scale."""
    rng = stream(config, "media_plan")
    n = config.preset.campaigns_per_platform
    campaigns = pd.concat(
        [
            _campaign_frame(rng, config, META, [t.name for t in META_TEMPLATES[:n]]),
            _campaign_frame(rng, config, GOOGLE, [t.name for t in GOOGLE_TEMPLATES[:n]]),
        ],
        ignore_index=True,
    )
    groups = _group_frame(rng, campaigns)
    ads = _ad_frame(rng, campaigns, groups)
    schedule = _budget_schedule(rng, campaigns, config.n_days)
    for frame, lows in _ID_RANGES.items():
        _assign_ids(rng, {"campaigns": campaigns, "groups": groups, "ads": ads}[frame], lows)
    return MediaPlan(
        campaigns,
        groups,
        ads,
        schedule,
        meta_account_id=str(rng.integers(10**14, 10**15)),
        google_customer_id=int(rng.integers(10**9, 10**10)),
    )


# First ids per object: Meta ids are 18-digit numbers, Google Ads ids 11-12 digit integers.
_ID_RANGES = {
    "campaigns": {META: 120_210_000_000_000_000, GOOGLE: 21_000_000_000},
    "groups": {META: 120_210_000_100_000_000, GOOGLE: 150_000_000_000},
    "ads": {META: 120_210_000_200_000_000, GOOGLE: 700_000_000_000},
}


def _assign_ids(rng: np.random.Generator, frame: pd.DataFrame, lows: dict[str, int]) -> None:
    frame["platform_id"] = np.zeros(len(frame), dtype=np.int64)
    for platform, low in lows.items():
        mask = (frame["platform"] == platform).to_numpy()
        frame.loc[mask, "platform_id"] = increasing_ids(rng, int(mask.sum()), low)


def _campaign_frame(
    rng: np.random.Generator, config: WorldConfig, platform: str, names: list[str]
) -> pd.DataFrame:
    n, n_days = len(names), config.n_days

    def day(low: float, high: float) -> np.ndarray:
        """Random day indices between two fractions of the world's length."""
        return rng.integers(int(low * n_days), max(int(high * n_days), int(low * n_days) + 1), n)

    starts = np.where(rng.random(n) < 0.6, -rng.integers(20, 400, n), day(0.05, 0.55))
    starts[:2] = -rng.integers(60, 400, 2)  # the two core campaigns run all year
    stops = np.where(rng.random(n) < 0.25, day(0.4, 0.95), n_days + 365)
    stops[:2] = n_days + 365
    stops[-1] = min(stops[-1], day(0.5, 0.92)[-1])  # one campaign is wound down
    stops = np.maximum(stops, starts + 14)
    pause_len = rng.integers(10, 35, n)
    pause_start = np.where(rng.random(n) < 0.4, day(0.08, 0.97), -1)
    pause_start[1] = n_days - 12  # one core campaign is paused at the end of the world
    pause_len[1] = 365
    share = rng.dirichlet(np.full(n, 2.5)) * PLATFORM_CLICKS[platform] * config.preset.traffic
    cpc = rng.uniform(*_CPC_RANGE[platform], n)
    if platform == GOOGLE:
        cpc[0] = rng.uniform(0.8, 1.6)  # brand search is cheap
    typical_spend = share * cpc
    half_sat = typical_spend * rng.uniform(0.6, 1.5, n)
    slope = rng.uniform(0.8, 2.0, n)
    return pd.DataFrame(
        {
            "platform": platform,
            "name": names,
            "flight_start": starts,
            "flight_stop": stops,
            "pause_start": pause_start,
            "pause_stop": np.where(pause_start >= 0, pause_start + pause_len, -1),
            "base_budget": np.round(typical_spend / TYPICAL_PACING, 2),
            "target_cpc": cpc,
            "adstock_decay": rng.uniform(*_DECAY_RANGE[platform], n),
            "hill_half_saturation": half_sat,
            "hill_slope": slope,
            "hill_scale": share / hill(typical_spend, half_sat, slope),
            "uses_campaign_budget": np.arange(n) % 2 == 0,  # Meta CBO vs ad set budgets
            "new_user_share": [_new_user_share(platform, name) for name in names],
        }
    )


def _new_user_share(platform: str, name: str) -> float:
    """Share of a campaign's sessions from first-time visitors (retargeting reaches known ones)."""
    if "Retargeting" in name:
        return 0.15
    if name == GOOGLE_TEMPLATES[0].name:
        return 0.35  # people searching the brand have mostly been on the site before
    return 0.85 if platform == META else 0.65


def hill(x: np.ndarray, half_saturation: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Hill saturation x^s / (x^s + K^s), 0 at x = 0, 0.5 at x = K."""
    x = np.maximum(x, 0.0)
    xs = np.power(x, slope)
    return xs / (xs + np.power(half_saturation, slope))


def _group_frame(rng: np.random.Generator, campaigns: pd.DataFrame) -> pd.DataFrame:
    rows = []
    labels_of = {t.name: t.adsets for t in META_TEMPLATES}
    labels_of.update({t.name: t.keywords for t in GOOGLE_TEMPLATES})
    for campaign_idx, row in campaigns.iterrows():
        labels = labels_of[row["name"]]
        shares = rng.dirichlet(np.full(len(labels), 3.0))
        for label, budget_share in zip(labels, shares, strict=True):
            rows.append((campaign_idx, row.platform, label, budget_share))
    return pd.DataFrame(rows, columns=["campaign_idx", "platform", "name", "budget_share"])


def _ad_frame(
    rng: np.random.Generator, campaigns: pd.DataFrame, groups: pd.DataFrame
) -> pd.DataFrame:
    per_group = rng.integers(1, 4, len(groups))
    group_idx = np.repeat(np.arange(len(groups)), per_group)
    rank = np.arange(len(group_idx)) - np.repeat(np.cumsum(per_group) - per_group, per_group)
    ads = pd.DataFrame({"group_idx": group_idx, "rank": rank})
    ads["campaign_idx"] = groups["campaign_idx"].to_numpy()[group_idx]
    ads["platform"] = groups["platform"].to_numpy()[group_idx]
    ads["new_user_share"] = campaigns["new_user_share"].to_numpy()[ads["campaign_idx"]]
    ads["spend_weight"] = rng.gamma(3.0, 1.0, len(ads))
    # Click share differs from spend share: some creatives are more efficient than others.
    ads["click_weight"] = ads["spend_weight"] * rng.lognormal(0.0, 0.25, len(ads))
    for column in ("spend_weight", "click_weight"):
        total = ads.groupby("campaign_idx")[column].transform("sum")
        ads[column] = ads[column] / total
    median_ctr = ads["platform"].map(_CTR_MEDIAN).to_numpy()
    ads["ctr"] = median_ctr * rng.lognormal(0.0, 0.3, len(ads))
    brand = (ads["platform"] == GOOGLE).to_numpy() & (
        campaigns["name"].to_numpy()[ads["campaign_idx"]] == GOOGLE_TEMPLATES[0].name
    )
    ads.loc[brand, "ctr"] *= 2.5  # brand search ads get clicked far more often
    formats = np.array(["Video", "Carousel", "Static image", "Customer quote"])
    ads["creative"] = formats[rng.integers(0, len(formats), len(ads))]
    group_name = groups["name"].to_numpy()[group_idx]
    version = (rank + 1).astype(str)
    meta_name = [
        f"{c} | {g} | v{v}" for c, g, v in zip(ads["creative"], group_name, version, strict=True)
    ]
    google_name = [f"RSA | {g} | v{v}" for g, v in zip(group_name, version, strict=True)]
    ads["name"] = np.where(ads["platform"] == META, meta_name, google_name)
    return ads


def _budget_schedule(rng: np.random.Generator, campaigns: pd.DataFrame, n_days: int) -> np.ndarray:
    """Daily budget per campaign: the base budget times 1-3 step changes during the year."""
    schedule = np.empty((len(campaigns), n_days))
    for i, base in enumerate(campaigns["base_budget"].to_numpy()):
        n_steps = int(rng.integers(1, 4))
        window = np.arange(int(0.05 * n_days) + 1, int(0.95 * n_days))
        change_days = np.sort(rng.choice(window, n_steps, replace=False))
        levels = np.concatenate([[1.0], rng.uniform(0.6, 1.5, n_steps)])
        segment = np.searchsorted(change_days, np.arange(n_days), side="right")
        schedule[i] = np.round(base * levels[segment], 2)
    return schedule


def lifecycle(plan: MediaPlan, n_days: int) -> pd.DataFrame:
    """State of each campaign on the last day and the day of its last change."""
    c = plan.campaigns
    last = n_days - 1
    ended = (c["flight_stop"] <= last).to_numpy()
    paused = ~ended & (c["pause_start"] <= last).to_numpy() & (c["pause_stop"] > last).to_numpy()
    budget_changes = np.diff(plan.budget_schedule, axis=1) != 0
    last_budget_change = np.where(
        budget_changes.any(axis=1), last - np.argmax(budget_changes[:, ::-1], axis=1), -(10**6)
    )
    pause_events = np.where(c["pause_stop"] <= last, c["pause_stop"], c["pause_start"])
    pause_events = np.where((c["pause_start"] >= 0) & (c["pause_start"] <= last), pause_events, -1)
    last_change = np.max(
        np.vstack(
            [
                c["flight_start"],
                pause_events,
                np.where(ended, c["flight_stop"], -1),
                last_budget_change,
            ]
        ),
        axis=0,
    )
    return pd.DataFrame(
        {
            "state": np.select([ended, paused], ["ended", "paused"], "active"),
            "last_change_day": last_change,
            "final_budget": plan.budget_schedule[:, -1],
        }
    )
