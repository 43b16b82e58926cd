"""Sessions: daily volumes per channel and ad, first visits that create users, return visits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.world.channels import (
    CHANNEL_SPECS,
    EMAIL,
    EMAIL_WEEKLY,
    ORGANIC_CHANNELS,
    PAID_SEARCH,
    PAID_SOCIAL,
)
from sandbox.world.config import WorldConfig
from sandbox.world.delivery import Delivery
from sandbox.world.media_plan import META, MediaPlan
from sandbox.world.rng import stream
from sandbox.world.timeline import LAST_START_SECOND, MICROS_PER_SECOND, Timeline
from sandbox.world.visitors import draw_visitors

_SHORT_RETURN_WINDOW, _LONG_RETURN_WINDOW, _SHORT_SHARE = 14, 180, 0.6
_MAX_SESSIONS_PER_USER_DAY = 20
_MIN_SESSION_GAP_SECONDS = 3_360  # 25 min session + 31 min idle, so GA4 never merges two


@dataclass(frozen=True)
class Traffic:
    """Users (first-visit order) and their sessions (sorted by user, day, order key)."""

    users: pd.DataFrame
    sessions: pd.DataFrame


def simulate_traffic(
    config: WorldConfig, timeline: Timeline, plan: MediaPlan, delivery: Delivery
) -> Traffic:
    """Turn channel volumes into sessions and decide who each session belongs to."""
    rng = stream(config, "traffic")
    units = pd.concat([_organic_units(rng, config, timeline), _paid_units(plan, delivery)])
    first = _expand(units, "n_new")
    first = first.iloc[np.lexsort((rng.random(len(first)), first["day"].to_numpy()))]
    users = draw_visitors(rng, first["day"].to_numpy(), first["channel"].to_numpy())
    users["first_ad"] = first["ad_idx"].to_numpy()
    first = first.assign(user=np.arange(len(first)), is_new=True)
    returning = _expand(units, "n_returning")
    returning["user"] = _assign_returning(
        rng,
        returning["day"].to_numpy(),
        users["first_day"].to_numpy(),
        users["return_weight"].to_numpy(),
    )
    returning = returning.loc[returning["user"] >= 0].assign(is_new=False)
    sessions = pd.concat([first, returning], ignore_index=True)
    sessions["order_key"] = rng.random(len(sessions))
    sessions["order_key"] = sessions["order_key"].where(~sessions["is_new"], -1.0)
    return Traffic(users=users, sessions=sort_sessions(_cap_per_day(sessions)))


def sort_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    """Order by user, day and order key; number each user's sessions from 1."""
    order = np.lexsort(
        (
            sessions["order_key"].to_numpy(),
            sessions["day"].to_numpy(),
            sessions["user"].to_numpy(),
        )
    )
    sessions = sessions.iloc[order].reset_index(drop=True)
    user = sessions["user"].to_numpy()
    starts = np.r_[0, np.flatnonzero(np.diff(user)) + 1]
    counts = np.diff(np.r_[starts, len(user)])
    sessions["session_number"] = np.arange(len(user)) - np.repeat(starts, counts) + 1
    return sessions


def _organic_units(
    rng: np.random.Generator, config: WorldConfig, timeline: Timeline
) -> pd.DataFrame:
    frames = []
    for channel in ORGANIC_CHANNELS:
        spec = CHANNEL_SPECS[channel]
        daily = spec.base_sessions * config.preset.traffic * timeline.yearly * timeline.growth
        weekly = EMAIL_WEEKLY[timeline.day_of_week] if channel == EMAIL else timeline.weekly
        lam = daily * weekly
        frames.append(
            pd.DataFrame(
                {
                    "channel": channel,
                    "day": np.arange(timeline.n_days),
                    "ad_idx": -1,
                    "n_new": rng.poisson(lam * spec.new_user_share),
                    "n_returning": rng.poisson(lam * (1 - spec.new_user_share)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _paid_units(plan: MediaPlan, delivery: Delivery) -> pd.DataFrame:
    ad_day = delivery.ad_day
    platform = plan.ads["platform"].to_numpy()[ad_day["ad_idx"]]
    return pd.DataFrame(
        {
            "channel": np.where(platform == META, PAID_SOCIAL, PAID_SEARCH),
            "day": ad_day["day_idx"].to_numpy(),
            "ad_idx": ad_day["ad_idx"].to_numpy(),
            "n_new": ad_day["sessions_new"].to_numpy(),
            "n_returning": ad_day["sessions_returning"].to_numpy(),
        }
    )


def _expand(units: pd.DataFrame, count_column: str) -> pd.DataFrame:
    counts = units[count_column].to_numpy()
    return pd.DataFrame(
        {
            column: np.repeat(units[column].to_numpy(), counts)
            for column in ("channel", "day", "ad_idx")
        }
    )


def _assign_returning(
    rng: np.random.Generator, day: np.ndarray, first_day: np.ndarray, weight: np.ndarray
) -> np.ndarray:
    """Pick a returning visitor among users first seen in the last 14 or 180 days (∝ weight).

    Users are sorted by first-visit day, so every window is a contiguous slice and a weighted
    draw is a binary search in the cumulative weights. Sessions with no eligible user get -1.
    """
    cumulative = np.cumsum(weight)
    window = np.where(
        rng.random(len(day)) < _SHORT_SHARE, _SHORT_RETURN_WINDOW, _LONG_RETURN_WINDOW
    )
    lo = np.searchsorted(first_day, day - window, side="left")
    hi = np.searchsorted(first_day, day, side="left")
    eligible = hi > lo
    base = np.where(lo > 0, cumulative[np.maximum(lo - 1, 0)], 0.0)
    top = cumulative[np.maximum(hi - 1, 0)]
    target = base + rng.random(len(day)) * (top - base)
    picked = np.clip(np.searchsorted(cumulative, target, side="right"), lo, np.maximum(hi - 1, 0))
    return np.where(eligible, picked, -1)


def _cap_per_day(sessions: pd.DataFrame) -> pd.DataFrame:
    """Drop the (vanishingly rare) sessions beyond 20 for one user on one day."""
    rank = sessions.groupby(["user", "day"]).cumcount().to_numpy()
    return sessions.loc[rank < _MAX_SESSIONS_PER_USER_DAY]


def assign_start_times(
    rng: np.random.Generator, sessions: pd.DataFrame, timeline: Timeline
) -> np.ndarray:
    """Session start (epoch micros). Same-day sessions of a user get disjoint time slots."""
    user = sessions["user"].to_numpy()
    day = sessions["day"].to_numpy()
    new_group = np.r_[True, (np.diff(user) != 0) | (np.diff(day) != 0)]
    group = np.cumsum(new_group) - 1
    group_start = np.flatnonzero(new_group)
    size = np.diff(np.r_[group_start, len(user)])[group]
    rank = np.arange(len(user)) - group_start[group]
    slot = LAST_START_SECOND / size
    stacked = rank * slot + rng.random(len(user)) * np.maximum(slot - _MIN_SESSION_GAP_SECONDS, 0)
    seconds = np.where(size == 1, timeline.start_seconds(rng, len(user)), stacked.astype(np.int64))
    return (
        timeline.day_start_micros[day]
        + seconds.astype(np.int64) * MICROS_PER_SECOND
        + rng.integers(0, MICROS_PER_SECOND, len(user))
    )
