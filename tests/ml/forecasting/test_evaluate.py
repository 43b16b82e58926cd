"""Rolling-origin backtest: only the past is used; the chosen model beats seasonal naive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from ml.forecasting.candidates import Forecast, SeasonalNaive
from ml.forecasting.evaluate import backtest, backtest_origins
from ml.forecasting.features import SeriesKey
from ml.forecasting.train import ForecastConfig, SeriesFit, fit_series


@dataclass
class Spy:
    """A candidate that remembers what it was trained on."""

    name: str = "spy"
    seen: list[np.ndarray] = field(default_factory=list)

    def forecast(self, y: np.ndarray, horizon: int, levels: Sequence[float]) -> Forecast:
        self.seen.append(np.array(y))
        mean = np.full(horizon, y[-1])
        return Forecast(mean, {level: (mean, mean) for level in levels})


def test_origins_are_back_to_back_windows_ending_at_the_last_point() -> None:
    assert backtest_origins(100, 10, 3, min_train=50) == [70, 80, 90]
    assert backtest_origins(100, 10, 3, min_train=75) == [80, 90]


def test_backtest_trains_only_on_data_before_each_origin() -> None:
    y = np.arange(200, dtype=float)  # each value is its own position: leaks are visible
    spy = Spy()
    backtest(y, [spy], horizon=28, m=7, n_origins=3)
    assert [len(train) for train in spy.seen] == [116, 144, 172]
    for train in spy.seen:
        assert np.array_equal(train, y[: len(train)])  # exactly the past, nothing after it


def test_seasonal_naive_repeats_the_last_season_and_widens_per_season() -> None:
    y = np.tile([1.0, 5.0, 3.0], 10) + np.r_[np.zeros(29), 1.0]
    forecast = SeasonalNaive(3).forecast(y, 6, [0.95])
    assert forecast.mean.tolist() == [1.0, 5.0, 4.0, 1.0, 5.0, 4.0]
    low, high = forecast.intervals[0.95]
    width = high - low
    assert width[3] == pytest.approx(width[0] * np.sqrt(2))


def _weekly_series(seed: int, n: int = 365) -> pd.Series:
    rng = np.random.default_rng(seed)
    week = np.array([30.0, 34.0, 33.0, 31.0, 28.0, 12.0, 10.0])
    t = np.arange(n)
    values = week[t % 7] + 0.01 * t + rng.normal(0.0, 3.0, n)
    return pd.Series(values, index=pd.date_range("2025-01-01", periods=n, freq="D"))


@pytest.fixture(scope="module")
def synthetic_fits() -> list[SeriesFit]:
    key = SeriesKey("leads", "daily", "synthetic")
    return [fit_series(key, _weekly_series(seed), ForecastConfig()) for seed in (1, 2, 3)]


def test_chosen_model_beats_seasonal_naive_on_weekly_seasonal_series(
    synthetic_fits: list[SeriesFit],
) -> None:
    # Seasonal naive differences two noisy points (error sd 3·√2); a model that learns the
    # weekly profile errs by about the noise alone (sd 3): MASE ratio near 1/√2 ≈ 0.71.
    for fit in synthetic_fits:
        assert fit.chosen.name != fit.baseline.name
        assert fit.chosen.mase < 0.85 * fit.baseline.mase


def test_95_percent_intervals_cover_about_95_percent(synthetic_fits: list[SeriesFit]) -> None:
    # 3 series x 3 origins x 28 days = 252 points: binomial sd of the share is ~1.4 points.
    share = np.mean([fit.chosen.coverage[0.95] for fit in synthetic_fits])
    assert 0.85 <= share <= 1.0
    assert all(len(fit.forecast.mean) == 28 for fit in synthetic_fits)
    assert synthetic_fits[0].dates[0] == pd.Timestamp("2026-01-01")
