"""The simulated calendar: days, months, seasonality and time-of-day profiles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sandbox.world.config import WorldConfig

MICROS_PER_DAY = 86_400_000_000
MICROS_PER_SECOND = 1_000_000
# Sessions start before 23:00 UTC and last at most 25 minutes, so a session never spans two days.
LAST_START_SECOND = 23 * 3600
# B2B traffic: busy on weekdays, quiet at weekends (Monday first); mean 1 over a week.
_WEEKLY = np.array([1.12, 1.16, 1.15, 1.10, 0.96, 0.72, 0.79])
_WEEKLY = _WEEKLY / _WEEKLY.mean()
# Relative session starts per UTC hour 0..22 (Europe mornings plus US afternoons).
_HOURLY = np.array(
    [
        0.5,
        0.4,
        0.3,
        0.3,
        0.4,
        0.6,
        0.9,
        1.3,
        1.7,
        2.0,
        2.1,
        2.1,
        2.0,
        2.2,
        2.5,
        2.6,
        2.5,
        2.2,
        1.9,
        1.6,
        1.3,
        1.0,
        0.8,
    ]
)


@dataclass(frozen=True)
class Timeline:
    """Day and month grid of one world plus its seasonality multipliers."""

    config: WorldConfig

    @cached_property
    def days(self) -> np.ndarray:
        """Every simulated day as datetime64[D]."""
        start = np.datetime64(self.config.start, "D")
        return start + np.arange(self.config.n_days)

    @property
    def n_days(self) -> int:
        return self.config.n_days

    @cached_property
    def day_of_week(self) -> np.ndarray:
        """0 = Monday … 6 = Sunday."""
        return ((self.days.astype(np.int64) + 3) % 7).astype(np.int8)

    @cached_property
    def day_of_year(self) -> np.ndarray:
        years = self.days.astype("datetime64[Y]")
        return (self.days - years.astype("datetime64[D]")).astype(np.int64) + 1

    @cached_property
    def weekly(self) -> np.ndarray:
        return _WEEKLY[self.day_of_week]

    @cached_property
    def yearly(self) -> np.ndarray:
        """Autumn peak, August lull and a deep dip between Christmas and New Year."""
        doy = self.day_of_year.astype(np.float64)
        wave = 1.0 + 0.08 * np.cos(2 * np.pi * (doy - 290) / 365.25)
        august = 0.12 * np.exp(-0.5 * ((doy - 222) / 14) ** 2)
        holidays = 0.35 * (np.exp(-0.5 * ((doy - 362) / 5) ** 2) + np.exp(-0.5 * (doy / 3) ** 2))
        return wave - august - holidays

    @cached_property
    def season(self) -> np.ndarray:
        """Demand multiplier per day (weekly × yearly); shared by organic and paid traffic."""
        return self.weekly * self.yearly

    @cached_property
    def growth(self) -> np.ndarray:
        """Organic growth: +20 % from the first to the last day."""
        return 1.0 + 0.2 * np.arange(self.n_days) / max(self.n_days - 1, 1)

    @cached_property
    def day_start_micros(self) -> np.ndarray:
        """Epoch microseconds (UTC) of midnight of each day."""
        return self.days.astype("datetime64[us]").astype(np.int64)

    @cached_property
    def months(self) -> np.ndarray:
        """First day of every calendar month touched by the world, as datetime64[M]."""
        first = np.datetime64(self.config.start, "M")
        last = np.datetime64(self.config.end, "M")
        return np.arange(first, last + 1)

    def month_index(self, day_idx: np.ndarray) -> np.ndarray:
        """Index into `months` of each day index."""
        month = self.days[day_idx].astype("datetime64[M]")
        return (month - self.months[0]).astype(np.int64)

    def start_seconds(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Seconds after midnight for n session starts, following the hourly profile."""
        hours = rng.choice(len(_HOURLY), size=n, p=_HOURLY / _HOURLY.sum())
        return hours * 3600 + rng.integers(0, 3600, size=n)
