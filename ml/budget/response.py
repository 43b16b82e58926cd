"""Geometric adstock + Hill saturation response curves, fitted by Poisson likelihood."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.signal import lfilter

#: Days at the start whose adstock still depends on the unknown spend before the data.
BURN_IN_DAYS = 14
THETA_BOUNDS = (0.0, 0.9)
SLOPE_BOUNDS = (0.5, 3.0)


def geometric_adstock(spend: np.ndarray, theta: float, initial: float | None = None) -> np.ndarray:
    """Normalised adstock A_t = θ·A_{t-1} + (1-θ)·x_t, so constant spend x has adstock x.

    `initial` is A_{-1}; by default the first day's spend (the flight was already running).
    """
    spend = np.asarray(spend, dtype=float)
    start = spend[0] if initial is None else initial
    return lfilter([1.0 - theta], [1.0, -theta], spend, zi=[theta * start])[0]


def hill(x: np.ndarray | float, k: float, s: float) -> np.ndarray:
    """x^s / (x^s + k^s): 0 at no spend, 1/2 at the half-saturation k, 1 at saturation."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    ratio = np.power(x / k, s)
    return ratio / (1.0 + ratio)


@dataclass(frozen=True)
class ResponseCurve:
    """Expected response per day = beta · hill(adstock(spend); k, s)."""

    theta: float
    k: float
    s: float
    beta: float
    deviance_explained: float = float("nan")
    n_days: int = 0

    def expected(self, daily_spend: np.ndarray | float) -> np.ndarray:
        """Steady-state response to a constant daily spend (the normalised adstock equals it)."""
        return self.beta * hill(daily_spend, self.k, self.s)

    def predict(self, spend: np.ndarray) -> np.ndarray:
        """Expected response per day to a spend series (carry-over included)."""
        return self.beta * hill(geometric_adstock(spend, self.theta), self.k, self.s)


def _poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    mu = np.maximum(mu, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


@dataclass(frozen=True)
class _Problem:
    spend: np.ndarray
    y: np.ndarray
    weight: np.ndarray  # known multiplier of the mean (seasonality), 1 when unknown
    mask: np.ndarray

    def shape(self, theta: float, k: float, s: float) -> np.ndarray:
        adstock = geometric_adstock(self.spend, theta)
        return (self.weight * hill(adstock, k, s))[self.mask]

    def beta(self, g: np.ndarray) -> float:
        # The Poisson MLE of a pure scale factor has this closed form, so beta is profiled out.
        return float(self.y[self.mask].sum() / max(g.sum(), 1e-12))

    def deviance(self, z: np.ndarray) -> float:
        g = self.shape(z[0], float(np.exp(z[1])), z[2])
        return _poisson_deviance(self.y[self.mask], self.beta(g) * g)


def fit_response(
    spend: np.ndarray,
    response: np.ndarray,
    *,
    multiplier: np.ndarray | None = None,
    fit_mask: np.ndarray | None = None,
) -> ResponseCurve:
    """Fit theta, k, s (beta profiled out) by Poisson (quasi-)likelihood with L-BFGS-B.

    Poisson because responses are counts (fractional attribution credits work the same as a
    quasi-likelihood). The loss covers days with spend after a burn-in by default: a paused ad
    delivers nothing whatever its adstock. `multiplier` is a known demand factor on the mean.
    Several starting points guard against the flat, non-convex regions of the Hill surface.
    """
    spend = np.asarray(spend, dtype=float)
    y = np.asarray(response, dtype=float)
    mask = (spend > 0) if fit_mask is None else np.asarray(fit_mask, dtype=bool)
    mask = mask & (np.arange(len(spend)) >= BURN_IN_DAYS)
    weight = np.ones_like(spend) if multiplier is None else np.asarray(multiplier, dtype=float)
    problem = _Problem(spend, y, weight, mask)
    positive = spend[spend > 0]
    k_low, k_high = 0.1 * np.median(positive), 10.0 * positive.max()
    bounds = [THETA_BOUNDS, (np.log(k_low), np.log(k_high)), SLOPE_BOUNDS]
    starts = itertools.product(
        (0.2, 0.6), np.log(np.median(positive) * np.array([0.5, 2.0])), (1.0, 2.0)
    )
    fits = (
        minimize(problem.deviance, np.array(z0), method="L-BFGS-B", bounds=bounds) for z0 in starts
    )
    best = min(fits, key=lambda r: r.fun)
    theta, k, s = float(best.x[0]), float(np.exp(best.x[1])), float(best.x[2])
    g = problem.shape(theta, k, s)
    y_fit = y[mask]
    null = _poisson_deviance(y_fit, np.full_like(y_fit, y_fit.mean()))
    explained = 1.0 - best.fun / null if null > 0 else float("nan")
    return ResponseCurve(theta, k, s, problem.beta(g), explained, int(mask.sum()))
