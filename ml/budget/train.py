"""Fit a response curve per paid channel (or campaign) with enough history; metrics to log."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.budget.response import ResponseCurve, fit_response


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
