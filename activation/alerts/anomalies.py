"""Daily spend, leads, revenue and CPA against forecast intervals or a robust weekday baseline."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import pandas as pd

from activation.alerts.model import Alert
from mdp.settings import Settings
from mdp.warehouse.base import Warehouse
from mdp.warehouse.sql import date_literal

log = logging.getLogger(__name__)

METRICS = ("spend", "leads", "revenue", "cpa")
#: The forecast table's name for the all-channel series.
ALL_CHANNELS = "(all)"
#: MAD to standard deviation for normal data.
MAD_SCALE = 1.4826


def daily_totals(warehouse: Warehouse, settings: Settings, as_of: date, days: int) -> pd.DataFrame:
    """Spend, leads, revenue and CPA per day (all channels) over the `days` up to `as_of`."""
    table = warehouse.qualified_name("marts.fct_channel_roi_daily")
    first = as_of - timedelta(days=days - 1)
    model = settings.alerts.attribution_model.replace("'", "")
    sql = f"""
        select date_day, sum(spend) as spend, sum(leads) as leads,
            sum(attributed_revenue) as revenue
        from {table}
        where attribution_model = '{model}'
            and date_day between {date_literal(first)} and {date_literal(as_of)}
        group by date_day
    """
    rows = warehouse.query(sql).to_pandas()
    index = pd.date_range(first, as_of, freq="D")
    frame = (
        rows.assign(date_day=pd.to_datetime(rows["date_day"]))
        .set_index("date_day")
        .astype(float)
        .reindex(index, fill_value=0.0)
    )
    # a day without leads has no CPA (not an infinite one)
    frame["cpa"] = frame["spend"] / frame["leads"].where(frame["leads"] > 0)
    return frame


def robust_check(
    history: pd.Series, day: pd.Timestamp, weeks: int, floor: float
) -> tuple[float, float, float] | None:
    """(expected, spread, z-score) of `day` against the same weekday in the previous `weeks`,
    or None when the baseline is missing or usually zero (no meaningful normal)."""
    previous = [day - pd.Timedelta(days=7 * k) for k in range(1, weeks + 1)]
    baseline = history.reindex(previous).dropna()
    actual = history.get(day)
    if len(baseline) < weeks or actual is None or np.isnan(actual):
        return None
    median = float(baseline.median())
    if median <= 0:
        return None
    spread = max(MAD_SCALE * float((baseline - median).abs().median()), floor * median)
    return median, spread, (float(actual) - median) / spread


def _forecast_intervals(warehouse: Warehouse, days: list[date]) -> pd.DataFrame:
    """95 % intervals of the all-channel daily leads and revenue forecasts for `days`, each
    from the latest forecast made before that day; empty when there are no forecasts."""
    if not warehouse.table_exists("scores.forecasts"):
        return pd.DataFrame()
    table = warehouse.qualified_name("scores.forecasts")
    listed = ", ".join(date_literal(d) for d in days)
    sql = f"""
        select metric, date, as_of, yhat, yhat_lower_95, yhat_upper_95
        from {table}
        where frequency = 'daily' and channel = '{ALL_CHANNELS}' and date in ({listed})
            and as_of < date
    """
    rows = warehouse.query(sql).to_pandas()
    if rows.empty:
        return rows
    rows["date"] = pd.to_datetime(rows["date"])
    return (
        rows.sort_values("as_of").groupby(["metric", "date"]).tail(1).set_index(["metric", "date"])
    )


def _alert(metric: str, day: pd.Timestamp, actual: float, expected: str, severity: str) -> Alert:
    unit = "" if metric == "leads" else " (currency)"
    return Alert(
        f"anomaly_{metric}",
        severity,
        "all",
        "total",
        "all",
        "all channels",
        f"daily {metric}{unit} on {day:%Y-%m-%d}",
        expected,
        f"{actual:,.2f}",
        f"Check what changed on {day:%Y-%m-%d} (budgets, tracking, campaigns, data loads).",
        day=f"{day:%Y-%m-%d}",
    )


def evaluate_anomalies(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Anomalous days among the latest `anomaly_lookback_days`."""
    rules = settings.alerts
    span = rules.anomaly_lookback_days + 7 * rules.anomaly_baseline_weeks
    totals = daily_totals(warehouse, settings, as_of, span)
    days = list(totals.index[-rules.anomaly_lookback_days :])
    forecasts = _forecast_intervals(warehouse, [d.date() for d in days])
    alerts: dict[str, Alert] = {}
    for metric in METRICS:
        for day in days:  # oldest first: the latest anomalous day describes the episode
            actual = float(totals.at[day, metric])
            if (metric, day) in forecasts.index:
                band = forecasts.loc[(metric, day)]
                low, high = float(band["yhat_lower_95"]), float(band["yhat_upper_95"])
                if not low <= actual <= high:
                    expected = f"{band['yhat']:,.2f} (forecast 95 % {low:,.2f}-{high:,.2f})"
                    alerts[metric] = _alert(metric, day, actual, expected, "medium")
                continue
            check = robust_check(
                totals[metric],
                day,
                rules.anomaly_baseline_weeks,
                rules.anomaly_min_change,
            )
            if check is None or abs(check[2]) < rules.anomaly_z:
                continue
            median, spread, z = check
            severity = "high" if abs(z) >= 2 * rules.anomaly_z else "medium"
            expected = f"{median:,.2f} ± {rules.anomaly_z * spread:,.2f} (same weekday, z {z:+.1f})"
            alerts[metric] = _alert(metric, day, actual, expected, severity)
    return list(alerts.values())
