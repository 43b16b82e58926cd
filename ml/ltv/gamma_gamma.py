"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, 'RFM and CLV'), by maximum likelihood.

Each purchase value z ~ Gamma(shape p, rate ν) with ν ~ Gamma(shape q, rate γ) across customers,
independent of the purchase process. A customer's mean value z̄ over x purchases then has
x·z̄ | ν ~ Gamma(p·x, ν), and integrating ν out gives the marginal density fitted here.
Only customers with x > 0 purchases in the average are used (by convention repeat purchases:
the first purchase often differs, e.g. a trial offer).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from ml.ltv.errors import LtvInputError
from ml.ltv.mle import FitResult, fit_log_params

PARAM_NAMES = ("p", "q", "gamma")
GammaGammaParams = FitResult | dict[str, float]


def _arrays(frequency: ArrayLike, monetary: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, z = np.broadcast_arrays(np.asarray(frequency, float), np.asarray(monetary, float))
    if not (np.isfinite(x).all() and np.isfinite(z).all()):
        raise LtvInputError("frequency and monetary value must be finite numbers (no NaN)")
    if (x <= 0).any() or (z <= 0).any():
        raise LtvInputError(
            "the Gamma-Gamma model needs frequency > 0 and a positive mean purchase value: "
            "pass repeat buyers only"
        )
    return x, z


def _values(params: GammaGammaParams) -> tuple[float, float, float]:
    v = params.params if isinstance(params, FitResult) else params
    return v["p"], v["q"], v["gamma"]


def log_likelihood(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> np.ndarray:
    """Per-customer log density of the observed mean value z̄ given x purchases."""
    p, q, gamma = _values(params)
    x, z = _arrays(frequency, monetary)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(z)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * z)
    )


def fit_gamma_gamma(
    frequency: ArrayLike, monetary: ArrayLike, start: dict[str, float] | None = None
) -> FitResult:
    """Maximum-likelihood (p, q, gamma) from repeat buyers' purchase counts and mean values."""
    x, z = _arrays(frequency, monetary)
    if len(x) < 3:
        raise LtvInputError(f"need at least 3 repeat buyers to fit 3 parameters, got {len(x)}")
    if start is None:
        # q = 3 gives a finite mean spend; gamma then matches E[z] = p·γ/(q−1) for p = 1
        start = {"p": 1.0, "q": 3.0, "gamma": 2.0 * float(np.mean(z))}
    return fit_log_params(
        PARAM_NAMES,
        lambda theta: float(
            np.sum(log_likelihood(dict(zip(PARAM_NAMES, theta, strict=True)), x, z))
        ),
        np.array([start[n] for n in PARAM_NAMES]),
        len(x),
    )


def expected_average_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> np.ndarray:
    """E[value of a future purchase | x, z̄] = p(γ + x·z̄)/(p·x + q − 1).

    A weighted mean of the population mean p·γ/(q−1) and the customer's own z̄; for x = 0 it is
    the population mean. Needs q > 1 (otherwise the mean spend is infinite).
    """
    p, q, gamma = _values(params)
    if q <= 1:
        raise LtvInputError(f"q = {q:.3g} <= 1: the Gamma-Gamma mean spend is infinite")
    x, z = np.broadcast_arrays(np.asarray(frequency, float), np.asarray(monetary, float))
    if (x < 0).any() or ((x > 0) & ~(z > 0)).any():
        raise LtvInputError("frequency must be >= 0 and monetary > 0 where frequency > 0")
    z = np.where(x > 0, z, 0.0)
    return p * (gamma + x * z) / (p * x + q - 1)


def population_mean_spend(params: GammaGammaParams) -> float:
    """E[purchase value] of a customer with no purchase history: p·γ/(q − 1)."""
    p, q, gamma = _values(params)
    return float(p * gamma / (q - 1)) if q > 1 else float("inf")
