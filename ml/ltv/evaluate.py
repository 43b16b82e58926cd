"""LTV model evaluation against a simulated world's truth: parameters and per-buyer expectations."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ml.ltv.bgnbd import Variant, expected_purchases, probability_alive
from ml.ltv.errors import LtvInputError
from ml.ltv.gamma_gamma import expected_average_spend
from ml.ltv.train import LtvModels

TRUTH_HORIZON_DAYS = 365.0  # ltv_customer_truth's expectations cover the 365 days after the world


def read_truth(truth_dir: str | Path) -> tuple[dict[str, float], pd.DataFrame]:
    """(parameters from ltv_truth.parquet, buyers from ltv_customer_truth.parquet)."""
    truth_dir = Path(truth_dir)
    params = pd.read_parquet(truth_dir / "ltv_truth.parquet").iloc[0].to_dict()
    if params.pop("time_unit", "day") != "day":
        raise LtvInputError("ltv_truth is not in days; the warehouse features are")
    customers = pd.read_parquet(truth_dir / "ltv_customer_truth.parquet")
    return {k: float(v) for k, v in params.items()}, customers


def parameter_table(models: LtvModels, truth: Mapping[str, float]) -> pd.DataFrame:
    """Fitted vs true value of every parameter, with the Hessian SE and z-scores."""
    rows = []
    for fit in (models.purchases, models.spend):
        for name, value in fit.params.items():
            se = fit.standard_errors.get(name, float("nan"))
            true = truth.get(name, float("nan"))
            # the fit is in log space: z_log (se_log = se/θ) is the better scale for few buyers
            z_log = (np.log(value) - np.log(true)) / (se / value)
            rows.append(
                {"param": name, "true": true, "fitted": value, "se": se, "z": (value - true) / se}
                | {"z_log": z_log}
            )
    return pd.DataFrame(rows)


def _predict(
    params_purchases: dict[str, float],
    params_spend: dict[str, float],
    variant: Variant,
    buyers: pd.DataFrame,
) -> pd.DataFrame:
    x, t_x, t = (buyers[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    count = expected_purchases(params_purchases, TRUTH_HORIZON_DAYS, x, t_x, t, variant)
    monetary = np.where(x > 0, buyers["monetary"].fillna(1.0).to_numpy(float), 1.0)
    spend = expected_average_spend(params_spend, x, monetary)
    alive = probability_alive(params_purchases, x, t_x, t, variant)
    return pd.DataFrame({"purchases": count, "value": count * spend, "p_alive": alive})


def _metrics(pred: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    true_count = truth["expected_purchases_next_365d"].to_numpy()
    true_value = truth["expected_value_next_365d"].to_numpy()
    alive = truth["alive_at_end"].to_numpy(float)
    return {
        "purchases_mae": float(np.mean(np.abs(pred["purchases"] - true_count))),
        "purchases_total_ratio": float(pred["purchases"].sum() / true_count.sum()),
        "value_mae": float(np.mean(np.abs(pred["value"] - true_value))),
        "value_total_ratio": float(pred["value"].sum() / true_value.sum()),
        "value_spearman": float(
            pd.Series(pred["value"].to_numpy()).corr(pd.Series(true_value), method="spearman")
        ),
        "p_alive_mean": float(pred["p_alive"].mean()),
        "alive_share": float(alive.mean()),
        "p_alive_brier": float(np.mean((pred["p_alive"].to_numpy() - alive) ** 2)),
    }


def evaluate_against_truth(
    models: LtvModels,
    buyers: pd.DataFrame,
    truth_params: Mapping[str, float],
    customer_truth: pd.DataFrame,
) -> dict[str, object]:
    """Parameter errors and per-buyer 365-day errors, for the fitted and for the true parameters.

    The buyers must be summarised at the end of the world (the truth's expectations start
    there). Predictions are revenue (no margin, no discounting), like the truth. The 'oracle'
    metrics use the true parameters: their error is what no parameter estimate can remove
    (a buyer's own λ, p and ν are only partly revealed by their history).
    """
    joined = buyers.merge(customer_truth, on="user_pseudo_id", how="inner", validate="one_to_one")
    if len(joined) < len(buyers):
        raise LtvInputError(
            f"{len(buyers) - len(joined)} buyer(s) have no row in the customer truth"
        )
    purchase_truth = {k: truth_params[k] for k in ("r", "alpha", "a", "b")}
    spend_truth = {k: truth_params[k] for k in ("p", "q", "gamma")}
    fitted = _predict(models.purchases.params, models.spend.params, models.variant, joined)
    oracle = _predict(purchase_truth, spend_truth, models.variant, joined)
    return {
        "variant": models.variant,
        "n_buyers": len(joined),
        "parameters": parameter_table(models, truth_params),
        "fitted": _metrics(fitted, joined),
        "oracle": _metrics(oracle, joined),
    }
