"""Budget recommendations: the curve optimiser per channel and the rule baseline per campaign."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from mdp.warehouse.base import Warehouse
from ml.budget.features import entity_series, load_daily
from ml.budget.optimize import allocate, total_response
from ml.budget.response import ResponseCurve
from ml.budget.rules import Decision, Performance, RuleThresholds, decide
from ml.budget.train import MODEL, CurveRequirements, fit_curves
from ml.common.runs import latest_state
from ml.common.scoring import with_provenance, write_scores
from ml.forecasting.features import default_as_of

SCHEMA = pa.schema(
    [
        ("method", pa.string()),
        ("channel", pa.string()),
        ("campaign", pa.string()),
        ("current_daily_spend", pa.float64()),
        ("recommended_daily_spend", pa.float64()),
        ("change_pct", pa.float64()),
        ("action", pa.string()),
        ("reason", pa.string()),
        ("expected_daily_target_before", pa.float64()),
        ("expected_daily_target_after", pa.float64()),
        ("portfolio_uplift_pct", pa.float64()),
        ("target", pa.string()),
        ("as_of", pa.date32()),
    ]
)
#: Relative changes smaller than this are reported as 'keep'.
KEEP_BAND = 0.05


@dataclass(frozen=True)
class BudgetConfig:
    """Target and windows; bounds are factors of each channel's current daily spend.

    The bounds keep the optimiser near the spend levels the curves were fitted on: a Hill
    curve extrapolated far beyond its data says little.
    """

    target: str = "leads"
    attribution_model: str = "linear"
    lookback_days: int = 28
    history_days: int = 365
    bound_factors: tuple[float, float] = (0.5, 2.0)
    thresholds: RuleThresholds = field(default_factory=RuleThresholds)
    requirements: CurveRequirements = field(default_factory=CurveRequirements)


def _action(change: float) -> str:
    if change > KEEP_BAND:
        return "increase"
    return "decrease" if change < -KEEP_BAND else "keep"


def optimizer_rows(
    curves: Mapping[str, ResponseCurve],
    current: Mapping[str, float],
    total_budget: float | None,
    bound_factors: tuple[float, float],
) -> list[dict[str, object]]:
    """One row per channel: curve-fitted ones are optimised, the others keep their spend."""
    fitted = {n: c for n, c in curves.items() if current.get(n, 0.0) > 0}
    fixed = {n: x for n, x in current.items() if n not in fitted}
    total = sum(current[n] for n in fitted)
    if total_budget is not None:
        total = total_budget - sum(fixed.values())
    low, high = bound_factors
    bounds = {n: (low * current[n], high * current[n]) for n in fitted}
    plan = allocate(fitted, total, bounds, current) if fitted else {}
    names = list(fitted)
    before = total_response([fitted[n] for n in names], [current[n] for n in names])
    after = total_response([fitted[n] for n in names], [plan[n] for n in names])
    uplift = (after / before - 1.0) * 100 if before > 0 else None
    rows: list[dict[str, object]] = []
    for name in names:
        change = plan[name] / current[name] - 1.0
        rows.append(
            {
                "channel": name,
                "current_daily_spend": current[name],
                "recommended_daily_spend": plan[name],
                "change_pct": change * 100,
                "action": _action(change),
                "reason": "equalises marginal expected response per unit spend within bounds",
                "expected_daily_target_before": float(fitted[name].expected(current[name])),
                "expected_daily_target_after": float(fitted[name].expected(plan[name])),
                "portfolio_uplift_pct": uplift,
            }
        )
    for name, spend in fixed.items():
        rows.append(
            {
                "channel": name,
                "current_daily_spend": spend,
                "recommended_daily_spend": spend,
                "change_pct": 0.0,
                "action": "keep",
                "reason": "too little history or no current spend for a response curve",
            }
        )
    return rows


def rule_rows(
    window: pd.DataFrame,
    days: int,
    thresholds: RuleThresholds,
    daily_budgets: Mapping[str, float] | None,
    target: str,
) -> list[dict[str, object]]:
    """One row per campaign that spent in the window.

    The marts carry no campaign budget (it is only in staging), so unless `daily_budgets` is
    given the budget is taken as the campaign's highest daily spend in the window: platforms
    spend up to, never beyond, the daily budget.
    """
    rows: list[dict[str, object]] = []
    for (channel, campaign), part in window.groupby(["channel", "campaign"], sort=True):
        spend = float(part["spend"].sum())
        if spend <= 0:
            continue
        daily_budget = (daily_budgets or {}).get(str(campaign), float(part["spend"].max()))
        performance = Performance(
            spend=spend,
            budget=daily_budget * days,
            revenue=float(part["revenue"].sum()),
            conversions=float(part["conversions"].sum()),
        )
        decision: Decision = decide(performance, thresholds)
        current = spend / days
        rows.append(
            {
                "channel": channel,
                "campaign": campaign,
                "current_daily_spend": current,
                "recommended_daily_spend": current * (1.0 + decision.change),
                "change_pct": decision.change * 100,
                "action": decision.action,
                "reason": decision.reason,
                "expected_daily_target_before": float(part[target].sum()) / days,
            }
        )
    return rows


def budget_recommendations(
    warehouse: Warehouse,
    as_of: date,
    total_budget: float | None = None,
    config: BudgetConfig = BudgetConfig(),
    daily_budgets: Mapping[str, float] | None = None,
    curves: Mapping[str, ResponseCurve] | None = None,
) -> pa.Table:
    """Optimiser rows per paid channel and rule rows per campaign, as one Arrow table.

    `total_budget` is per day across the paid channels (default: their current daily spend,
    i.e. a pure reallocation). Expected target values are per day at steady state; for rule
    rows `before` is the observed daily average and `after` is left empty (no curve).
    `curves` (per channel) are fitted on the history unless given (e.g. by a training run).
    """
    daily = load_daily(warehouse, as_of, config.attribution_model, config.history_days)
    if curves is None:
        curves = fit_curves(entity_series(daily, "channel", config.target), config.requirements)
    window = daily.loc[
        daily["date_day"] > pd.Timestamp(as_of) - pd.Timedelta(config.lookback_days, "D")
    ]
    current = (window.groupby("channel")["spend"].sum() / config.lookback_days).to_dict()
    optimised = optimizer_rows(curves, current, total_budget, config.bound_factors)
    ruled = rule_rows(window, config.lookback_days, config.thresholds, daily_budgets, config.target)
    rows = [{**r, "method": "optimizer"} for r in optimised]
    rows += [{**r, "method": "rules"} for r in ruled]
    columns = {
        name: [row.get(name) for row in rows]
        for name in SCHEMA.names
        if name not in ("target", "as_of")
    }
    columns["target"] = [config.target] * len(rows)
    columns["as_of"] = [as_of] * len(rows)
    return pa.table(columns, schema=SCHEMA)


TABLE = "scores.budget_recommendations"
KEYS = ("recommendation_id", "feature_snapshot_date")
SCORE_SCHEMA = pa.schema([("recommendation_id", pa.string()), *SCHEMA])


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.budget_recommendations at the snapshot with the latest training run's
    response curves (optimiser rows) and the rules (campaign rows)."""
    serving = latest_state(MODEL, settings)
    state = serving.model
    config = BudgetConfig(
        target=state["target"],
        attribution_model=state["attribution_model"],
        lookback_days=state["lookback_days"],
        history_days=state["history_days"],
        bound_factors=tuple(state["bound_factors"]),
    )
    curves = {name: ResponseCurve(**fields) for name, fields in state["curves"].items()}
    with get_warehouse(settings) as warehouse:
        as_of = snapshot or default_as_of(warehouse)
        plan = budget_recommendations(warehouse, as_of, config=config, curves=curves).to_pandas()
    plan.insert(
        0,
        "recommendation_id",
        plan["method"] + "|" + plan["channel"] + "|" + plan["campaign"].fillna(""),
    )
    table = with_provenance(plan, serving, as_of, SCORE_SCHEMA)
    return [write_scores(TABLE, table, KEYS, settings)]
