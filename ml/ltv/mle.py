"""Maximum likelihood in log-parameter space with Hessian standard errors, for the LTV models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ml.ltv.errors import LtvFitError


@dataclass(frozen=True)
class FitResult:
    """Fitted parameters, the maximised log-likelihood and how the optimiser got there.

    `standard_errors` come from the inverse of the numerical Hessian of the negative
    log-likelihood in log-parameter space, mapped back by the delta method (se = θ · se_log).
    """

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    converged: bool
    iterations: int
    message: str
    standard_errors: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        return self.params[name]


def fit_log_params(
    names: Sequence[str],
    log_likelihood: Callable[[np.ndarray], float],
    start: np.ndarray,
    n_customers: int,
) -> FitResult:
    """Maximise `log_likelihood(theta)` over positive theta, searching in log(theta)."""

    def objective(log_theta: np.ndarray) -> float:
        value = log_likelihood(np.exp(log_theta))
        # the optimiser may probe extreme parameters: treat non-finite values as very unlikely
        return -value if np.isfinite(value) else 1e300

    def scaled(log_theta: np.ndarray) -> float:
        # per customer, so the gradient tolerance means the same for 100 and 100k customers
        return objective(log_theta) / max(n_customers, 1)

    result = optimize.minimize(
        scaled,
        np.log(start),
        method="L-BFGS-B",
        bounds=[(-20.0, 20.0)] * len(names),
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8},
    )
    log_theta = result.x
    ll = -objective(log_theta)
    if not np.isfinite(ll):
        raise LtvFitError(f"no finite log-likelihood was found ({result.message})")
    theta = np.exp(log_theta)
    return FitResult(
        params={n: float(v) for n, v in zip(names, theta, strict=True)},
        log_likelihood=float(ll),
        n_customers=n_customers,
        converged=bool(result.success),
        iterations=int(result.nit),
        message=str(result.message),
        standard_errors=_standard_errors(names, objective, log_theta),
    )


def _standard_errors(
    names: Sequence[str], objective: Callable[[np.ndarray], float], log_theta: np.ndarray
) -> dict[str, float]:
    """Delta-method standard errors; NaN when the Hessian is not positive definite."""
    hessian = numerical_hessian(objective, log_theta)
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return {n: float("nan") for n in names}
    var = np.diag(cov)
    se_log = np.where(var > 0, np.sqrt(np.abs(var)), np.nan)
    return {n: float(s * np.exp(x)) for n, s, x in zip(names, se_log, log_theta, strict=True)}


def numerical_hessian(
    f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    k = len(x)
    h = np.full(k, step)
    hessian = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hessian[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h[i] * h[j]
            )
            hessian[i, j] = hessian[j, i] = value
    return hessian
