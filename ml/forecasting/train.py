"""Choose and fit one forecaster per series; the metrics dict the caller logs to MLflow."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mdp.settings import Settings
from mdp.warehouse import get_warehouse
from mdp.warehouse.base import Warehouse
from ml.common import plots, runs, tracking
from ml.common.runs import FitRun
from ml.forecasting.candidates import Candidate, Forecast, daily_candidates, weekly_candidates
from ml.forecasting.evaluate import CandidateScore, backtest, choose
from ml.forecasting.features import ALL_CHANNELS, SeriesKey, default_as_of, load_series


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how much backtesting to afford.

    Work budget: per series at most 5 models x n_origins backtest fits plus one final fit
    (each statsmodels fit ~0.1 s on a year of days); series with fewer than the minimum
    non-zero points only try the seasonal-naive baseline and the window mean.
    """

    attribution_model: str = "linear"
    horizon_days: int = 28
    horizon_weeks: int = 8
    n_origins: int = 3
    levels: tuple[float, ...] = (0.8, 0.95)
    min_nonzero_daily: int = 30
    min_nonzero_weekly: int = 8


@dataclass(frozen=True)
class Frequency:
    """Season length of the baseline and MASE scale, candidates and the step between points."""

    m: int
    candidates: Callable[[], list[Candidate]]
    step: pd.Timedelta


FREQUENCIES = {
    "daily": Frequency(7, daily_candidates, pd.Timedelta(days=1)),
    "weekly": Frequency(1, weekly_candidates, pd.Timedelta(days=7)),
}
#: How many candidates (baseline first) sparse series try.
SPARSE_CANDIDATES = 2


@dataclass(frozen=True)
class SeriesFit:
    """The backtest of every candidate tried, the chosen one and its forecast past the data."""

    key: SeriesKey
    scores: list[CandidateScore]
    chosen: CandidateScore
    dates: pd.DatetimeIndex
    forecast: Forecast

    @property
    def baseline(self) -> CandidateScore:
        """The seasonal-naive baseline's scores (always the first candidate)."""
        return self.scores[0]


def _horizon(frequency: str, config: ForecastConfig) -> int:
    return config.horizon_days if frequency == "daily" else config.horizon_weeks


def fit_series(key: SeriesKey, y: pd.Series, config: ForecastConfig) -> SeriesFit:
    """Backtest the candidates on y, refit the winner on all of y and forecast the horizon."""
    frequency = FREQUENCIES[key.frequency]
    horizon = _horizon(key.frequency, config)
    candidates = frequency.candidates()
    minimum = config.min_nonzero_daily if key.frequency == "daily" else config.min_nonzero_weekly
    if int((y != 0).sum()) < minimum:
        candidates = candidates[:SPARSE_CANDIDATES]
    # statsmodels' small matrix work only slows down when BLAS spreads it over threads.
    with threadpool_limits(1):
        scores = backtest(
            y.to_numpy(dtype=float),
            candidates,
            horizon,
            frequency.m,
            config.n_origins,
            config.levels,
        )
    return refit_series(key, y, scores, choose(scores), config)


def refit_series(
    key: SeriesKey,
    y: pd.Series,
    scores: list[CandidateScore],
    chosen: CandidateScore,
    config: ForecastConfig,
) -> SeriesFit:
    """Fit the chosen candidate on all of y and forecast the horizon past its end; the
    baseline (scores[0]) stands in when the chosen one fails to fit."""
    frequency = FREQUENCIES[key.frequency]
    horizon = _horizon(key.frequency, config)
    by_name = {c.name: c for c in frequency.candidates()}
    values = y.to_numpy(dtype=float)
    with threadpool_limits(1):
        try:
            forecast = by_name[chosen.name].forecast(values, horizon, config.levels)
        except (ValueError, np.linalg.LinAlgError):
            chosen = scores[0]
            forecast = by_name[chosen.name].forecast(values, horizon, config.levels)
    dates = pd.date_range(y.index[-1] + frequency.step, periods=horizon, freq=frequency.step)
    return SeriesFit(key, scores, chosen, dates, forecast)


def fit_all(
    warehouse: Warehouse, as_of: date, config: ForecastConfig | None = None
) -> list[SeriesFit]:
    """Fit every series the marts hold up to as_of."""
    config = config or ForecastConfig()
    series = load_series(warehouse, as_of, config.attribution_model)
    return [fit_series(key, y, config) for key, y in sorted(series.items(), key=str)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "all"


def metrics(fits: list[SeriesFit]) -> dict[str, float]:
    """MASE / MAPE per series (chosen and baseline) and means per candidate over series.

    Keys: `<frequency>.<metric>.<channel>.<chosen|baseline>.<mase|mape>` and
    `<frequency>.<metric>.<candidate|chosen|baseline>.mean_<mase|mape>`; NaN/inf are left out.
    """
    out: dict[str, float] = {}
    groups: dict[str, list[float]] = {}
    for fit in fits:
        prefix = f"{fit.key.frequency}.{fit.key.metric}"
        named = [(s.name, s) for s in fit.scores] + [("chosen", fit.chosen)]
        named.append(("baseline", fit.baseline))
        for role, score in (("chosen", fit.chosen), ("baseline", fit.baseline)):
            for measure in ("mase", "mape"):
                out[f"{prefix}.{_slug(fit.key.channel)}.{role}.{measure}"] = getattr(score, measure)
        for name, score in named:
            for measure in ("mase", "mape"):
                groups.setdefault(f"{prefix}.{name}.mean_{measure}", []).append(
                    getattr(score, measure)
                )
        coverage = fit.chosen.coverage.get(0.95)
        if coverage is not None:
            groups.setdefault(f"{prefix}.chosen.mean_coverage_95", []).append(coverage)
    for key, values in groups.items():
        finite = [v for v in values if math.isfinite(v)]
        if finite:
            out[key] = float(np.mean(finite))
    return {k: v for k, v in out.items() if math.isfinite(v)}


def backtest_metrics(
    warehouse: Warehouse, as_of: date, config: ForecastConfig | None = None
) -> dict[str, float]:
    """Backtest and choose per series; return the metrics to log."""
    return metrics(fit_all(warehouse, as_of, config))


MODEL = "forecast"
#: The series drawn in the run's plot: total daily leads.
PLOT_SERIES = SeriesKey("leads", "daily", ALL_CHANNELS)
PLOT_HISTORY_DAYS = 120


def score_state(score: CandidateScore) -> dict[str, object]:
    return {"name": score.name, "mase": score.mase, "mape": score.mape}


def fits_state(fits: list[SeriesFit], as_of: date, config: ForecastConfig) -> dict[str, object]:
    """What scoring needs: the configuration and each series' chosen model with its backtest
    scores and the baseline's."""
    return {
        "feature_snapshot_date": as_of.isoformat(),
        "config": {**asdict(config), "levels": list(config.levels)},
        "series": {
            str(fit.key): {"chosen": score_state(fit.chosen), "baseline": score_state(fit.baseline)}
            for fit in fits
        },
    }


def series_table(fits: list[SeriesFit]) -> pd.DataFrame:
    """One row per series: the chosen model, its backtest MASE / MAPE and the baseline's."""
    return pd.DataFrame(
        [
            {
                "series_key": str(fit.key),
                "chosen": fit.chosen.name,
                "mase": fit.chosen.mase,
                "mape": fit.chosen.mape,
                "baseline": fit.baseline.name,
                "baseline_mase": fit.baseline.mase,
                "baseline_mape": fit.baseline.mape,
            }
            for fit in fits
        ]
    )


def _plot(fits: list[SeriesFit], series: dict[SeriesKey, pd.Series]) -> None:
    fit = next((f for f in fits if f.key == PLOT_SERIES), fits[0])
    history = series[fit.key].iloc[-PLOT_HISTORY_DAYS:]
    figure = plots.forecast_band(
        history,
        fit.dates,
        np.maximum(fit.forecast.mean, 0.0),
        {level: (np.maximum(lo, 0.0), hi) for level, (lo, hi) in fit.forecast.intervals.items()},
        f"{fit.key}: {fit.chosen.name}",
    )
    tracking.log_figure(figure, "evaluation/forecast.png")


def train(settings: Settings, snapshot: date | None = None) -> list[FitRun]:
    """Backtest the candidates per series up to the snapshot, choose, log the run."""
    config = ForecastConfig()
    with get_warehouse(settings) as warehouse:
        as_of = snapshot or default_as_of(warehouse)
        series = load_series(warehouse, as_of, config.attribution_model)
    fits = [fit_series(key, y, config) for key, y in sorted(series.items(), key=str)]
    scores = metrics(fits)
    beaten = sum(1 for f in fits if f.chosen.mase < f.baseline.mase)

    def artifacts() -> None:
        tracking.log_table(series_table(fits), "evaluation/series.csv")
        _plot(fits, series)

    fit = runs.log_fit(
        MODEL,
        settings,
        params={
            "feature_snapshot_date": as_of,
            "series": len(fits),
            **{k: v for k, v in asdict(config).items()},
        },
        metrics=scores,
        state=fits_state(fits, as_of, config),
        summary=f"{len(fits)} series; {beaten} beat the seasonal-naive baseline (MASE)",
        artifacts=artifacts,
    )
    return [fit]
