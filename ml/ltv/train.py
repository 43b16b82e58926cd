"""Fit the non-contractual LTV models (BG/NBD or MBG/NBD, and Gamma-Gamma) on buyer summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

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
