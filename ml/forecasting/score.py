"""The forecast table: one row per series and future date with 80 % and 95 % intervals."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from mdp.warehouse.base import Warehouse
from ml.common.runs import latest_state
from ml.common.scoring import with_provenance, write_scores
from ml.forecasting.evaluate import CandidateScore
from ml.forecasting.features import SeriesKey, default_as_of, load_series
from ml.forecasting.train import (
    FREQUENCIES,
    MODEL,
    ForecastConfig,
    SeriesFit,
    fit_all,
    refit_series,
)

SCHEMA = pa.schema(
    [
        ("series_key", pa.string()),
        ("metric", pa.string()),
        ("frequency", pa.string()),
        ("channel", pa.string()),
        ("date", pa.date32()),
        ("yhat", pa.float64()),
        ("yhat_lower_80", pa.float64()),
        ("yhat_upper_80", pa.float64()),
        ("yhat_lower_95", pa.float64()),
        ("yhat_upper_95", pa.float64()),
        ("model", pa.string()),
        ("backtest_mase", pa.float64()),
        ("backtest_mape", pa.float64()),
        ("baseline_mase", pa.float64()),
        ("baseline_mape", pa.float64()),
        ("as_of", pa.date32()),
    ]
)


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def forecast_table(fits: list[SeriesFit], as_of: date) -> pa.Table:
    """Rows for every fitted series; leads and revenue cannot go below 0, so neither do bounds."""
    columns: dict[str, list[object]] = {name: [] for name in SCHEMA.names}
    for fit in fits:
        horizon = len(fit.dates)
        bounds = {
            level: (np.maximum(low, 0.0), np.maximum(high, 0.0))
            for level, (low, high) in fit.forecast.intervals.items()
        }
        static = {
            "series_key": str(fit.key),
            "metric": fit.key.metric,
            "frequency": fit.key.frequency,
            "channel": fit.key.channel,
            "model": fit.chosen.name,
            "backtest_mase": _finite_or_none(fit.chosen.mase),
            "backtest_mape": _finite_or_none(fit.chosen.mape),
            "baseline_mase": _finite_or_none(fit.baseline.mase),
            "baseline_mape": _finite_or_none(fit.baseline.mape),
            "as_of": as_of,
        }
        for name, value in static.items():
            columns[name].extend([value] * horizon)
        columns["date"].extend(d.date() for d in fit.dates)
        columns["yhat"].extend(np.maximum(fit.forecast.mean, 0.0).tolist())
        for level, suffix in ((0.8, "80"), (0.95, "95")):
            columns[f"yhat_lower_{suffix}"].extend(bounds[level][0].tolist())
            columns[f"yhat_upper_{suffix}"].extend(bounds[level][1].tolist())
    return pa.table(columns, schema=SCHEMA)


def forecasts(
    warehouse: Warehouse,
    as_of: date,
    horizon: int = 28,
    weekly_horizon: int = 8,
    attribution_model: str = "linear",
) -> pa.Table:
    """Forecast every lead and revenue series (daily `horizon` days, weekly `weekly_horizon`)."""
    config = replace(
        ForecastConfig(),
        horizon_days=horizon,
        horizon_weeks=weekly_horizon,
        attribution_model=attribution_model,
        levels=(0.8, 0.95),
    )
    return forecast_table(fit_all(warehouse, as_of, config), as_of)


TABLE = "scores.forecasts"
KEYS = ("series_key", "date", "feature_snapshot_date")


def _stored_score(stored: dict[str, Any]) -> CandidateScore:
    return CandidateScore(stored["name"], float(stored["mase"]), float(stored["mape"]))


def refit_from_state(
    series: dict[SeriesKey, pd.Series], state: dict[str, Any], config: ForecastConfig
) -> list[SeriesFit]:
    """Each series refitted with the model training chose for it (no backtest); a series
    training did not see gets the seasonal-naive baseline, unscored."""
    fits = []
    for key, y in sorted(series.items(), key=str):
        stored = state["series"].get(str(key))
        if stored is None:
            baseline = FREQUENCIES[key.frequency].candidates()[0].name
            unscored = CandidateScore(baseline, math.nan, math.nan)
            scores, chosen = [unscored], unscored
        else:
            scores = [_stored_score(stored["baseline"]), _stored_score(stored["chosen"])]
            chosen = scores[1]
        fits.append(refit_series(key, y, scores, chosen, config))
    return fits


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.forecasts: every series forecast past the snapshot with the model the
    latest training run chose for it."""
    serving = latest_state(MODEL, settings)
    stored = dict(serving.model["config"])
    config = ForecastConfig(**{**stored, "levels": tuple(stored["levels"])})
    with get_warehouse(settings) as warehouse:
        as_of = snapshot or default_as_of(warehouse)
        series = load_series(warehouse, as_of, config.attribution_model)
    table = forecast_table(refit_from_state(series, serving.model, config), as_of)
    rows = with_provenance(table.to_pandas(), serving, as_of, SCHEMA)
    return [write_scores(TABLE, rows, KEYS, settings)]
