"""Time helpers for CRM records: the end-of-world snapshot and random moments in a period."""

from __future__ import annotations

import numpy as np

from sandbox.world.config import WorldConfig

DAY = np.timedelta64(86_400, "s")
NAT = np.datetime64("NaT", "s")


def world_end(config: WorldConfig) -> np.datetime64:
    """First second after the world: records created at or after it do not exist yet."""
    return np.datetime64(config.end, "s") + DAY


def visible(times: np.ndarray, end: np.datetime64) -> np.ndarray:
    """True where an event has happened by the end of the world (NaT → False)."""
    return ~np.isnat(times) & (times < end)


def at_or_nat(times: np.ndarray, end: np.datetime64) -> np.ndarray:
    """Times that happened by the end of the world, NaT otherwise."""
    return np.where(visible(times, end), times, NAT)


def latest(*times: np.ndarray) -> np.ndarray:
    """Element-wise maximum ignoring NaT."""
    out = times[0]
    for t in times[1:]:
        out = np.where(np.isnat(out) | (~np.isnat(t) & (t > out)), t, out)
    return out


def month_start(months: np.ndarray) -> np.ndarray:
    """datetime64[M] → datetime64[s] at 00:00 of the first day."""
    return months.astype("datetime64[D]").astype("datetime64[s]")


def in_month(rng: np.random.Generator, months: np.ndarray) -> np.ndarray:
    """A random business-hours moment (days 1-28, 08:00-18:00 UTC) within each month."""
    day = rng.integers(0, 28, months.shape)
    second = rng.integers(8 * 3_600, 18 * 3_600, months.shape)
    return month_start(months) + (day * 86_400 + second).astype("timedelta64[s]")


def after(
    rng: np.random.Generator, times: np.ndarray, low_days: float, high_days: float
) -> np.ndarray:
    """times + U(low, high) days, rounded to the second."""
    return times + (rng.uniform(low_days, high_days, times.shape) * 86_400).astype("timedelta64[s]")
