"""The forecast table: one row per series and future date with 80 % and 95 % intervals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pyarrow as pa

from mdp.warehouse.base import Warehouse
from ml.forecasting.train import ForecastConfig, SeriesFit, fit_all

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
