"""Fit the non-contractual LTV models (BG/NBD or MBG/NBD, and Gamma-Gamma) on buyer summaries;
`train` logs the fit to MLflow for `mdp train ltv`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from mdp.settings import Settings
from mdp.warehouse import Warehouse, get_warehouse
from ml.common import plots, runs, tracking
from ml.common.errors import NotEnoughDataError
from ml.common.runs import FitRun
from ml.ltv import features
from ml.ltv.bgnbd import Variant, fit_bgnbd
from ml.ltv.errors import LtvInputError
from ml.ltv.gamma_gamma import fit_gamma_gamma
from ml.ltv.mle import FitResult

VARIANTS: tuple[Variant, ...] = ("bgnbd", "mbgnbd")


@dataclass(frozen=True)
class LtvModels:
    """The purchase-process fit (with its variant) and the spend fit."""

    variant: Variant
    purchases: FitResult
    spend: FitResult
    alternatives: dict[str, FitResult]  # every purchase-process variant tried, by name

    def params(self) -> dict[str, float]:
        """Flat parameters and fit statistics, e.g. for MLflow log_params/log_metrics."""
        flat: dict[str, float] = {**self.purchases.params, **self.spend.params}
        flat["purchases_log_likelihood"] = self.purchases.log_likelihood
        flat["spend_log_likelihood"] = self.spend.log_likelihood
        flat["n_buyers"] = float(self.purchases.n_customers)
        flat["n_repeat_buyers"] = float(self.spend.n_customers)
        return flat


def fit_ltv_models(buyers: pd.DataFrame, variant: Variant | Literal["auto"] = "auto") -> LtvModels:
    """Fit on columns frequency, recency, T, monetary (features.purchase_summary).

    'auto' fits BG/NBD and MBG/NBD and keeps the higher log-likelihood: both have four
    parameters, so this is also the AIC/BIC choice.
    """
    missing = {"frequency", "recency", "T", "monetary"} - set(buyers.columns)
    if missing:
        raise LtvInputError(f"buyer summary lacks column(s) {', '.join(sorted(missing))}")
    x, t_x, t = (buyers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    tried = VARIANTS if variant == "auto" else (variant,)
    fits = {v: fit_bgnbd(x, t_x, t, variant=v) for v in tried}
    best: Variant = max(fits, key=lambda v: fits[v].log_likelihood)
    repeat = x > 0
    spend = fit_gamma_gamma(x[repeat], buyers["monetary"].to_numpy(float)[repeat])
    return LtvModels(
        variant=best,
        purchases=fits[best],
        spend=spend,
        alternatives={str(k): v for k, v in fits.items()},
    )


def check_converged(models: LtvModels) -> list[str]:
    """Human-readable warnings for fits that did not converge or have undefined SEs."""
    warnings = []
    for name, fit in (("purchases", models.purchases), ("spend", models.spend)):
        if not fit.converged:
            warnings.append(f"{name} fit did not converge: {fit.message}")
        if not all(np.isfinite(list(fit.standard_errors.values()))):
            warnings.append(f"{name} fit has an undefined standard error (flat likelihood)")
    return warnings


MODEL = "ltv"
HORIZON_MONTHS = 12
#: Below these the BG/NBD (4 parameters, all buyers) and Gamma-Gamma (3, repeat buyers)
#: likelihoods are too flat to pin their parameters down: buyers then get no LTV row rather
#: than one from an arbitrary fit (subscribers' LTV needs no fit and is still scored).
MIN_BUYERS = 50
MIN_REPEAT_BUYERS = 20


def models_state(models: LtvModels) -> dict[str, object]:
    """The fitted purchase and spend models as JSON-ready data."""
    return {
        "variant": models.variant,
        "purchases": asdict(models.purchases),
        "spend": asdict(models.spend),
    }


def models_from_state(state: dict[str, Any]) -> LtvModels:
    """The models back from `models_state` (the variants tried are not kept)."""
    purchases, spend = FitResult(**state["purchases"]), FitResult(**state["spend"])
    return LtvModels(state["variant"], purchases, spend, {state["variant"]: purchases})


def buyer_models(buyers: pd.DataFrame) -> tuple[LtvModels | None, str]:
    """The fitted models, or None and why not (too few buyers)."""
    repeat = int((buyers["frequency"] > 0).sum())
    if len(buyers) < MIN_BUYERS or repeat < MIN_REPEAT_BUYERS:
        return None, (
            f"{len(buyers)} buyers ({repeat} repeat) at the snapshot; the purchase models need "
            f"{MIN_BUYERS} ({MIN_REPEAT_BUYERS} repeat): buyers get no LTV until there are more"
        )
    return fit_ltv_models(buyers), "fitted"


def snapshot_day(warehouse: Warehouse, snapshot: date | None) -> date:
    """The given day, else the day after the latest purchase (or the latest MRR month)."""
    day = snapshot or features.default_snapshot(warehouse)
    if day is None:
        raise NotEnoughDataError(
            "marts.fct_purchases and marts.fct_mrr_monthly are empty: no customer to value"
        )
    return day


def fit_metrics(models: LtvModels | None) -> dict[str, float]:
    """Parameters, log-likelihoods, standard errors (`se.<param>`) and convergence flags."""
    if models is None:
        return {}
    out = dict(models.params())
    for fit in (models.purchases, models.spend):
        out.update({f"se.{name}": se for name, se in fit.standard_errors.items()})
    out.update({f"{v}.log_likelihood": f.log_likelihood for v, f in models.alternatives.items()})
    out["purchases_converged"] = float(models.purchases.converged)
    out["spend_converged"] = float(models.spend.converged)
    return out


def _log_plots(rows: pd.DataFrame) -> None:
    buyers = rows.loc[rows["ltv_type"] == "non_contractual"]
    if len(buyers):
        tracking.log_figure(
            plots.histogram(buyers["p_alive"], "Buyers: P(alive) at the snapshot", "P(alive)"),
            "evaluation/p_alive.png",
        )
    tracking.log_figure(
        plots.histogram(rows["predicted_ltv"], f"{HORIZON_MONTHS}-month LTV", "predicted LTV"),
        "evaluation/predicted_ltv.png",
    )


def train(settings: Settings, snapshot: date | None = None) -> list[FitRun]:
    """Fit the buyer models at the snapshot (if there are enough buyers) and log the run."""
    from ml.ltv.score import customer_ltv  # score builds on this module's models

    with get_warehouse(settings) as warehouse:
        day = snapshot_day(warehouse, snapshot)
        models, buyer_model = buyer_models(features.purchase_summary(warehouse, day))
        churn = features.latest_churn_probabilities(warehouse, day)
        rows = customer_ltv(
            warehouse, day, churn, models=models, include_buyers=models is not None
        ).to_pandas()
        baseline = features.baseline_churn_probability(warehouse, day)
    metrics = fit_metrics(models)
    for ltv_type, part in rows.groupby("ltv_type"):
        metrics[f"{ltv_type}.customers"] = float(len(part))
        metrics[f"{ltv_type}.mean_predicted_ltv"] = float(part["predicted_ltv"].mean())
    if baseline is not None:
        metrics["baseline_churn_probability"] = baseline
    fit = runs.log_fit(
        MODEL,
        settings,
        params={
            "feature_snapshot_date": day,
            "horizon_months": HORIZON_MONTHS,
            "buyer_model": buyer_model,
            "variant": models.variant if models else "",
            "min_buyers": MIN_BUYERS,
            "min_repeat_buyers": MIN_REPEAT_BUYERS,
        },
        metrics=metrics,
        state={
            "feature_snapshot_date": day.isoformat(),
            "horizon_months": HORIZON_MONTHS,
            "buyer_model": models_state(models) if models else None,
        },
        summary=f"buyers: {models.variant if models else buyer_model}",
        artifacts=lambda: _log_plots(rows),
    )
    return [fit]
