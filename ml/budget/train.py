"""Fit a response curve per paid channel (or campaign) with enough history; metrics to log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from mdp.settings import Settings
from mdp.warehouse import get_warehouse
from ml.budget.features import entity_series, load_daily
from ml.budget.response import ResponseCurve, fit_response
from ml.common import plots, runs, tracking
from ml.common.runs import FitRun
from ml.forecasting.features import default_as_of


@dataclass(frozen=True)
class CurveRequirements:
    """Below these a curve is not fitted: the entity keeps its spend (rules still apply)."""

    min_spend_days: int = 60
    min_response: float = 10.0


def fit_curves(
    series: dict[str, pd.DataFrame], requirements: CurveRequirements = CurveRequirements()
) -> dict[str, ResponseCurve]:
    """Curves for the entities with enough spend days and enough total response."""
    curves = {}
    for name, frame in series.items():
        spend = frame["spend"].to_numpy(dtype=float)
        response = frame["response"].to_numpy(dtype=float)
        enough = (spend > 0).sum() >= requirements.min_spend_days
        if enough and response[spend > 0].sum() >= requirements.min_response:
            curves[name] = fit_response(spend, response)
    return curves


def curve_metrics(curves: dict[str, ResponseCurve], prefix: str = "curve") -> dict[str, float]:
    """Parameters and deviance explained per fitted entity, MLflow-safe keys."""
    out: dict[str, float] = {}
    for name, curve in curves.items():
        slug = "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")
        for field in ("theta", "k", "s", "beta", "deviance_explained"):
            value = float(getattr(curve, field))
            if np.isfinite(value):
                out[f"{prefix}.{slug}.{field}"] = value
    return out


MODEL = "budget"
CURVE_FIELDS = ("theta", "k", "s", "beta", "deviance_explained", "n_days")


def not_fitted(
    series: dict[str, pd.DataFrame],
    curves: dict[str, ResponseCurve],
    requirements: CurveRequirements,
) -> dict[str, str]:
    """Why each entity without a curve has none."""
    reasons = {}
    for name, frame in series.items():
        if name in curves:
            continue
        spend, response = frame["spend"].to_numpy(float), frame["response"].to_numpy(float)
        reasons[name] = (
            f"{int((spend > 0).sum())} spend days (minimum {requirements.min_spend_days}), "
            f"response {response[spend > 0].sum():.1f} (minimum {requirements.min_response:g})"
        )
    return reasons


def _plot(series: dict[str, pd.DataFrame], curves: dict[str, ResponseCurve], target: str) -> None:
    observed = {n: (f["spend"].to_numpy(), f["response"].to_numpy()) for n, f in series.items()}
    lines = {}
    for name, curve in curves.items():
        grid = np.linspace(0.0, 1.2 * float(series[name]["spend"].max()), 100)
        lines[name] = (grid, curve.expected(grid))
    figure = plots.response_curves(observed, lines, f"Daily {target} against spend", target)
    tracking.log_figure(figure, "evaluation/response_curves.png")


def train(settings: Settings, snapshot: date | None = None) -> list[FitRun]:
    """Fit a response curve per paid channel on the history up to the snapshot and log the
    curves, the optimiser's expected uplift at current spend and the plot."""
    from ml.budget.score import BudgetConfig, budget_recommendations  # score builds on this

    config = BudgetConfig()
    with get_warehouse(settings) as warehouse:
        as_of = snapshot or default_as_of(warehouse)
        daily = load_daily(warehouse, as_of, config.attribution_model, config.history_days)
        series = entity_series(daily, "channel", config.target)
        curves = fit_curves(series, config.requirements)
        plan = budget_recommendations(warehouse, as_of, config=config, curves=curves).to_pandas()
    skipped = not_fitted(series, curves, config.requirements)
    optimiser = plan.loc[plan["method"] == "optimizer"].set_index("channel")
    metrics = curve_metrics(curves)
    metrics["curves_fitted"] = float(len(curves))
    uplift = optimiser["portfolio_uplift_pct"].dropna()
    if len(uplift):
        metrics["expected_uplift_pct"] = float(uplift.iloc[0])
    for channel, row in optimiser.iterrows():
        metrics[f"change_pct.{tracking.key_part(str(channel))}"] = float(row["change_pct"])
    summary = (
        f"{len(curves)} curve(s); expected uplift {metrics['expected_uplift_pct']:.1f} %"
        if "expected_uplift_pct" in metrics
        else f"no response curve ({len(skipped)} channel(s) short of history): rules only"
    )

    def artifacts() -> None:
        tracking.log_table(plan, "evaluation/recommendations.csv")
        _plot(series, curves, config.target)

    fit = runs.log_fit(
        MODEL,
        settings,
        params={
            "feature_snapshot_date": as_of,
            "target": config.target,
            "attribution_model": config.attribution_model,
            "history_days": config.history_days,
            "lookback_days": config.lookback_days,
            "bound_factors": config.bound_factors,
            **{f"not_fitted.{n}": reason for n, reason in skipped.items()},
        },
        metrics=metrics,
        state={
            "feature_snapshot_date": as_of.isoformat(),
            "target": config.target,
            "attribution_model": config.attribution_model,
            "history_days": config.history_days,
            "lookback_days": config.lookback_days,
            "bound_factors": list(config.bound_factors),
            "curves": {n: {f: getattr(c, f) for f in CURVE_FIELDS} for n, c in curves.items()},
            "not_fitted": skipped,
        },
        summary=summary,
        artifacts=artifacts,
    )
    return [fit]
