"""BG/NBD repeat purchases (Fader, Hardie & Lee 2005) and its MBG/NBD variant, fitted by MLE.

Data per customer, in one time unit (the sandbox and the warehouse features use days):
frequency x = repeat purchases (purchases after the first), recency t_x = time from the first to
the last purchase (0 when x = 0), T = time from the first purchase to the snapshot.

Model: while alive a customer buys at rate λ ~ Gamma(shape r, rate α); after a purchase they
drop out with probability p ~ Beta(a, b). In BG/NBD the dropout coin is tossed after each repeat
purchase, so a customer with no repeat purchase is alive for sure. In MBG/NBD (Batislam, Denizel
& Filiztekin 2007) it is also tossed right after the first purchase, so some one-time buyers
are already gone; the sandbox world simulates that variant.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln, hyp2f1, roots_jacobi

from ml.ltv.errors import LtvInputError
from ml.ltv.mle import FitResult, fit_log_params

Variant = Literal["bgnbd", "mbgnbd"]
PARAM_NAMES = ("r", "alpha", "a", "b")
BgnbdParams = FitResult | dict[str, float]
_A_NEAR_ONE = 1e-5


def _arrays(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[np.ndarray, ...]:
    """Validated float arrays of equal length."""
    x, t_x, t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    x, t_x, t = np.broadcast_arrays(x, t_x, t)
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(t).all()):
        raise LtvInputError("frequency, recency and T must be finite numbers (no NaN)")
    if (x < 0).any() or (x != np.round(x)).any():
        raise LtvInputError("frequency must be a whole number of repeat purchases >= 0")
    if (t_x < 0).any() or (t_x > t * (1 + 1e-12)).any():
        raise LtvInputError("recency must satisfy 0 <= recency <= T for every customer")
    if ((x == 0) & (t_x > 0)).any():
        raise LtvInputError("a customer with frequency 0 must have recency 0")
    return x, t_x, t


def _values(params: BgnbdParams) -> tuple[float, float, float, float]:
    p = params.params if isinstance(params, FitResult) else params
    return p["r"], p["alpha"], p["a"], p["b"]


def _dropout_shift(variant: Variant) -> int:
    """Extra dropout coins survived: MBG/NBD tosses one right after the first purchase."""
    if variant not in ("bgnbd", "mbgnbd"):
        raise LtvInputError(f"variant must be 'bgnbd' or 'mbgnbd', got {variant!r}")
    return 1 if variant == "mbgnbd" else 0


def _log_terms(
    params: tuple[float, float, float, float],
    x: np.ndarray,
    t_x: np.ndarray,
    t: np.ndarray,
    variant: Variant,
) -> tuple[np.ndarray, np.ndarray]:
    """log of the 'alive at T' and 'dropped out at t_x' likelihood terms (-inf when impossible)."""
    r, alpha, a, b = params
    s = _dropout_shift(variant)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    alive = common + betaln(a, b + x + s) - (r + x) * np.log(alpha + t)
    can_drop = x + s > 0
    # B(a+1, b+x+s-1) only exists when a dropout coin was tossed; mask before evaluating
    b_drop = np.where(can_drop, b + x + s - 1, 1.0)
    dropped = common + betaln(a + 1, b_drop) - (r + x) * np.log(alpha + t_x)
    return alive, np.where(can_drop, dropped, -np.inf)


def log_likelihood(
    params: BgnbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    variant: Variant = "bgnbd",
) -> np.ndarray:
    """Per-customer log-likelihood, the two terms combined by log-sum-exp."""
    x, t_x, t = _arrays(frequency, recency, T)
    alive, dropped = _log_terms(_values(params), x, t_x, t, variant)
    return np.logaddexp(alive, dropped)


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    variant: Variant = "bgnbd",
    start: dict[str, float] | None = None,
) -> FitResult:
    """Maximum-likelihood (r, alpha, a, b) with the log-likelihood, convergence and SEs."""
    x, t_x, t = _arrays(frequency, recency, T)
    if len(x) < 4:
        raise LtvInputError(f"need at least 4 customers to fit 4 parameters, got {len(x)}")
    if not (x > 0).any():
        raise LtvInputError(
            "no customer has a repeat purchase: the dropout process is not identified"
        )
    if start is None:
        # moment-style start: λ ≈ mean x / mean T sets alpha for r = 1
        rate = max(x.mean() / max(t.mean(), 1e-9), 1e-6)
        start = {"r": 1.0, "alpha": 1.0 / rate, "a": 1.0, "b": 3.0}
    return fit_log_params(
        PARAM_NAMES,
        lambda theta: float(
            np.sum(log_likelihood(dict(zip(PARAM_NAMES, theta, strict=True)), x, t_x, t, variant))
        ),
        np.array([start[n] for n in PARAM_NAMES]),
        len(x),
    )


def probability_alive(
    params: BgnbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    variant: Variant = "bgnbd",
) -> np.ndarray:
    """P(alive at T | x, t_x, T): the 'alive' term's share of the likelihood.

    BG/NBD gives exactly 1 at frequency 0 (no dropout coin tossed yet); MBG/NBD does not.
    """
    x, t_x, t = _arrays(frequency, recency, T)
    alive, dropped = _log_terms(_values(params), x, t_x, t, variant)
    # 1 / (1 + exp(dropped - alive)), written to stay finite for any log ratio
    return np.exp(-np.logaddexp(0.0, dropped - alive))


def expected_purchases(
    params: BgnbdParams,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    variant: Variant = "bgnbd",
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] = P(alive) · E[purchases | alive].

    Given alive at T, λ ~ Gamma(r + x, α + T) and p ~ Beta(a, b') with b' = b + x + shift, and
    (FHL 2005, eq. 10) E[purchases | alive] = (a + b' − 1)/(a − 1) · [1 − (1 − z)^(r+x) ·
    2F1(r+x, b'; a+b'−1; z)], z = t/(α+T+t). scipy's 2F1 fails (NaN) once r + x is large and
    the argument far from 0, so the Euler transformation is used instead:
    (1 − z)^(r+x)·2F1(r+x, b'; c; z) = (1 − z)^(a−1)·2F1(c − r − x, a − 1; c; z), whose first
    two parameters (a + b + shift − 1 − r and a − 1) do not grow with x. Entries where 2F1
    still fails fall back to Gauss-Jacobi quadrature over p (`_given_alive_by_quadrature`).
    """
    r, alpha, a, b = _values(params)
    horizon, x, t_x, age = np.broadcast_arrays(
        np.asarray(t, dtype=float), *_arrays(frequency, recency, T)
    )
    if (horizon < 0).any() or not np.isfinite(horizon).all():
        raise LtvInputError("the prediction horizon t must be finite and >= 0")
    b_post = b + x + _dropout_shift(variant)
    z = horizon / (alpha + age + horizon)

    def given_alive(a: float) -> np.ndarray:
        c = a + b_post - 1.0
        f = hyp2f1(c - r - x, a - 1.0, c, z)
        return c / (a - 1.0) * (1.0 - (1.0 - z) ** (a - 1.0) * f)

    if abs(a - 1.0) < _A_NEAR_ONE:
        # the bracket over (a − 1) is 0/0 at a = 1 but smooth in a: interpolate between
        # a = 1 ± ε (error O(ε²) ≈ 1e-10, cancellation ≈ 1e-16/ε ≈ 1e-11)
        low, high = given_alive(1.0 - _A_NEAR_ONE), given_alive(1.0 + _A_NEAR_ONE)
        given = low + (a - 1.0 + _A_NEAR_ONE) / (2 * _A_NEAR_ONE) * (high - low)
    else:
        given = given_alive(a)
    failed = np.flatnonzero(~np.isfinite(given))
    if failed.size:
        given = given.copy()
        given[failed] = [
            _given_alive_by_quadrature(r + x[i], a, b_post[i], horizon[i] / (alpha + age[i]))
            for i in failed
        ]
    return probability_alive(params, x, t_x, age, variant) * given


def _given_alive_by_quadrature(
    shape: float, a: float, b_post: float, k: float, nodes: int = 200
) -> float:
    """E[purchases | alive] = ∫ (1 − (1 + p·k)^(−shape))/p · Beta(p; a, b') dp, k = t/(α+T).

    Averages (1 − E_λ[e^(−λpt)])/p over the posterior p by Gauss-Jacobi quadrature: its weight
    p^(a−1)(1−p)^(b'−1) carries the Beta density with its endpoint singularities, and the rest
    is smooth.
    """
    roots, weights = roots_jacobi(nodes, b_post - 1.0, a - 1.0)
    p = (1.0 + roots) / 2.0
    value = float(np.sum(weights * -np.expm1(-shape * np.log1p(p * k)) / p) / np.sum(weights))
    if not np.isfinite(value):
        raise LtvInputError(
            "expected purchases could not be computed for these parameters/horizon; "
            "check the fitted parameters"
        )
    return value
