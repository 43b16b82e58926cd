"""Forecast candidates: seasonal naive (the baseline), window mean, ETS and SARIMAX."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

#: Yearly seasonality enters SARIMAX as Fourier terms once the history spans this many years;
#: with less, a yearly cycle cannot be told apart from trend and noise.
MIN_YEARS_FOR_YEARLY = 1.5


@dataclass(frozen=True)
class Forecast:
    """Point forecast and central prediction intervals per level (e.g. 0.8, 0.95)."""

    mean: np.ndarray
    intervals: dict[float, tuple[np.ndarray, np.ndarray]]


class Candidate(Protocol):
    """A model that is refitted on a training array and forecasts `horizon` steps past its end."""

    @property
    def name(self) -> str:
        """Label in metrics and the forecast table."""
        ...

    def forecast(self, y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
        """Fit on `y` (oldest first) and forecast the next `horizon` points."""
        ...


def _normal_intervals(
    mean: np.ndarray, sd: np.ndarray, levels: Sequence[float]
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for level in levels:
        z = float(norm.ppf(0.5 + level / 2))
        out[level] = (mean - z * sd, mean + z * sd)
    return out


def _constant(y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
    """A constant training series: its value, with no spread to estimate."""
    mean = np.full(horizon, float(y[-1]))
    return Forecast(mean, {level: (mean.copy(), mean.copy()) for level in levels})


@dataclass(frozen=True)
class SeasonalNaive:
    """y_{T+h} = y_{T+h-m·k}; intervals widen with the number of seasons ahead."""

    m: int
    name: str = "seasonal_naive"

    def forecast(self, y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
        y = np.asarray(y, dtype=float)
        steps = np.arange(horizon)
        mean = y[len(y) - self.m + steps % self.m]
        residuals = y[self.m :] - y[: -self.m]
        sd = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
        seasons_ahead = steps // self.m + 1
        return Forecast(mean, _normal_intervals(mean, sd * np.sqrt(seasons_ahead), levels))


@dataclass(frozen=True)
class WindowMean:
    """Mean of the last `window` points: the sensible guess for sparse (intermittent) counts."""

    window: int
    name: str = "window_mean"

    def forecast(self, y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
        recent = np.asarray(y, dtype=float)[-self.window :]
        mean = np.full(horizon, recent.mean())
        sd = recent.std(ddof=1) * np.sqrt(1 + 1 / len(recent)) if len(recent) > 1 else 0.0
        return Forecast(mean, _normal_intervals(mean, np.full(horizon, sd), levels))


def fourier_terms(t: np.ndarray, period: float, k: int) -> np.ndarray:
    """sin/cos pairs of the first k harmonics of `period` at time indices t."""
    angle = 2 * np.pi * np.outer(t, np.arange(1, k + 1)) / period
    return np.hstack([np.sin(angle), np.cos(angle)])


@dataclass(frozen=True)
class Sarimax:
    """SARIMAX with optional yearly Fourier regressors (only when the history is long enough)."""

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0)
    trend: str | None = None
    year_length: float = 365.25  # periods per year: 365.25 daily, 52.18 weekly
    fourier_k: int = 3
    name: str = "sarimax"

    def uses_yearly(self, n: int) -> bool:
        """Whether a training series of length n gets yearly Fourier regressors."""
        return n >= MIN_YEARS_FOR_YEARLY * self.year_length

    def forecast(self, y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y = np.asarray(y, dtype=float)
        if np.ptp(y) == 0:
            return _constant(y, horizon, levels)
        exog = future = None
        if self.uses_yearly(len(y)):
            terms = fourier_terms(np.arange(len(y) + horizon), self.year_length, self.fourier_k)
            exog, future = terms[: len(y)], terms[len(y) :]
        model = SARIMAX(
            y,
            exog=exog,
            order=self.order,
            seasonal_order=self.seasonal_order,
            trend=self.trend,
            concentrate_scale=True,  # one parameter less to search: about 3x faster fits
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter; a bad fit loses the backtest
            result = model.fit(disp=False, maxiter=50)
        prediction = result.get_forecast(horizon, exog=future)
        mean = np.asarray(prediction.predicted_mean)
        intervals = {}
        for level in levels:
            bounds = np.asarray(prediction.conf_int(alpha=1 - level))
            intervals[level] = (bounds[:, 0], bounds[:, 1])
        return Forecast(mean, intervals)


@dataclass(frozen=True)
class Ets:
    """Additive-error ETS (ETSModel): additive errors and seasonality cope with zero counts."""

    trend: str | None = None
    damped: bool = False
    seasonal_periods: int | None = None
    name: str = "ets"

    def forecast(self, y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        y = np.asarray(y, dtype=float)
        if np.ptp(y) == 0:
            return _constant(y, horizon, levels)
        # ETSModel's prediction code needs an index on the data, so give it a RangeIndex.
        model = ETSModel(
            pd.Series(y),
            error="add",
            trend=self.trend,
            damped_trend=self.damped,
            seasonal="add" if self.seasonal_periods else None,
            seasonal_periods=self.seasonal_periods,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = model.fit(disp=False, maxiter=200)
        prediction = result.get_prediction(start=len(y), end=len(y) + horizon - 1)
        mean = np.asarray(prediction.predicted_mean)
        intervals = {}
        for level in levels:
            frame = prediction.summary_frame(alpha=1 - level)
            intervals[level] = (frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy())
        return Forecast(mean, intervals)


def daily_candidates() -> list[Candidate]:
    """Baseline first, then the models; weekly seasonality (m = 7) throughout."""
    return [
        SeasonalNaive(7, name="seasonal_naive_7"),
        WindowMean(28, name="mean_28"),
        Ets(seasonal_periods=7, name="ets_ANA"),
        Ets(trend="add", damped=True, seasonal_periods=7, name="ets_AAdA"),
        Sarimax((1, 0, 0), (1, 0, 0, 7), trend="c", name="sarimax_100_100_7"),
        Sarimax((0, 1, 1), (0, 1, 1, 7), name="sarimax_011_011_7"),
    ]


def weekly_candidates() -> list[Candidate]:
    """Weekly series: no in-week season; a yearly one (m = 52) needs years of history we lack.

    So the baseline is the naive last value (m = 1), and yearly Fourier terms enter SARIMAX
    only once the history passes MIN_YEARS_FOR_YEARLY.
    """
    return [
        SeasonalNaive(1, name="naive_1"),
        WindowMean(8, name="mean_8"),
        Ets(name="ets_ANN"),
        Ets(trend="add", damped=True, name="ets_AAdN"),
        Sarimax((1, 0, 0), trend="c", year_length=365.25 / 7, fourier_k=2, name="sarimax_100"),
        Sarimax((0, 1, 1), year_length=365.25 / 7, fourier_k=2, name="sarimax_011"),
    ]
