"""Customer lifetime value over a horizon: non-contractual (BG/NBD × Gamma-Gamma) and contractual.

Discounting (both kinds): an annual rate i is applied as (1 + i)^(−years), with years measured
from the snapshot to the moment a cash flow happens. Non-contractual purchases are bucketed in
steps (default one month of days); each step's expected purchases are discounted from the end of
the step, slightly conservative against continuous discounting. Subscription MRR is billed on a
month's first day, so month k after the snapshot month is discounted by (1 + i)^(−k/12).

Value is gross profit: revenue × gross margin. DEFAULT_GROSS_MARGIN = 0.75 is a typical SaaS
gross margin (hosting, support and payment costs take about a quarter of revenue); pass
gross_margin=1.0 for revenue LTV.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ml.ltv.bgnbd import BgnbdParams, Variant, expected_purchases, probability_alive
from ml.ltv.errors import LtvInputError
from ml.ltv.gamma_gamma import GammaGammaParams, expected_average_spend

DEFAULT_GROSS_MARGIN = 0.75
DEFAULT_ANNUAL_DISCOUNT_RATE = 0.10
DAYS_PER_YEAR = 365.25
MINIMUM_TERM_MONTHS = 3  # the world's subscriptions cannot churn in their first three months


@dataclass(frozen=True)
class NonContractualLtv:
    """Per-customer predictions over the horizon (purchases undiscounted, ltv discounted)."""

    expected_purchases: np.ndarray
    p_alive: np.ndarray
    expected_spend: np.ndarray
    ltv: np.ndarray


@dataclass(frozen=True)
class ContractualLtv:
    """Per-customer expected remaining paid months (undiscounted, within the horizon) and LTV."""

    expected_lifetime_months: np.ndarray
    ltv: np.ndarray


def _check_money_args(annual_discount_rate: float, gross_margin: float) -> None:
    if not annual_discount_rate > -1:
        raise LtvInputError(f"annual_discount_rate must be > -1, got {annual_discount_rate}")
    if not 0 < gross_margin <= 1:
        raise LtvInputError(f"gross_margin must be in (0, 1], got {gross_margin}")


def noncontractual_ltv(
    bgnbd: BgnbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    horizon: float = 365.0,
    *,
    step: float = DAYS_PER_YEAR / 12,
    periods_per_year: float = DAYS_PER_YEAR,
    annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
    variant: Variant = "bgnbd",
) -> NonContractualLtv:
    """Σ_steps ΔE[purchases] · discount(step end) · E[spend] · margin over (T, T + horizon].

    `horizon`, `step`, recency and T share one time unit; `periods_per_year` says how many of
    those units make a year (365.25 for days). monetary is the mean repeat-purchase value
    (ignored where frequency is 0: those customers get the population mean spend).
    """
    _check_money_args(annual_discount_rate, gross_margin)
    if not (horizon > 0 and step > 0):
        raise LtvInputError("horizon and step must be positive")
    x = np.asarray(frequency, dtype=float)
    bounds = np.append(np.arange(step, horizon, step), horizon)
    cumulative = np.stack([expected_purchases(bgnbd, t, x, recency, T, variant) for t in bounds])
    increments = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + annual_discount_rate) ** (-bounds / periods_per_year)
    spend = expected_average_spend(gamma_gamma, x, np.where(x > 0, monetary, 1.0))
    return NonContractualLtv(
        expected_purchases=cumulative[-1],
        p_alive=probability_alive(bgnbd, x, recency, T, variant),
        expected_spend=spend,
        ltv=gross_margin * spend * (discount @ increments),
    )


def _geometric_sum(ratio: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Σ_{j=1..n} ratio^j for 0 <= ratio <= 1 and n >= 0 (n may be inf)."""
    near_one = np.abs(1.0 - ratio) < 1e-12
    safe = np.where(near_one, 0.5, ratio)
    with np.errstate(over="ignore", invalid="ignore"):
        closed = safe * (1.0 - safe**n) / (1.0 - safe)
    return np.where(near_one, n, closed)


def contractual_ltv(
    mrr: ArrayLike,
    churn_probability: ArrayLike,
    horizon_months: int | None = 12,
    *,
    guaranteed_months: ArrayLike = 0,
    annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
) -> ContractualLtv:
    """Remaining value of a subscription from a constant monthly churn hazard h.

    The customer paid this month's MRR (it is in revenue to date). Month k = 1, 2, ... is paid
    when the customer survives k month ends: S_k = (1 − h)^max(0, k − g), where the first g
    renewals are certain (remaining minimum term). LTV = margin · MRR · Σ_{k=1..H} S_k·d^k with
    d = (1 + i)^(−1/12); the undiscounted Σ S_k is the expected remaining lifetime in months
    (geometric: (1 − h)/h when uncapped and g = 0). horizon_months=None means no cap.
    """
    _check_money_args(annual_discount_rate, gross_margin)
    value, h, g = np.broadcast_arrays(
        np.asarray(mrr, float),
        np.asarray(churn_probability, float),
        np.asarray(guaranteed_months, float),
    )
    if not (np.isfinite(h).all() and ((h >= 0) & (h <= 1)).all()):
        raise LtvInputError("churn probabilities must be in [0, 1] (monthly churn hazard)")
    if (value < 0).any() or not np.isfinite(value).all() or (g < 0).any():
        raise LtvInputError("MRR and guaranteed months must be finite and >= 0")
    if horizon_months is not None and horizon_months < 0:
        raise LtvInputError(f"horizon_months must be >= 0 or None, got {horizon_months}")
    total = np.inf if horizon_months is None else float(horizon_months)
    sure = np.minimum(g, total)
    rest = total - sure

    def paid_months(d: float) -> np.ndarray:
        ratio = np.full_like(h, d)
        return _geometric_sum(ratio, sure) + d**sure * _geometric_sum((1.0 - h) * d, rest)

    if horizon_months is None and (h == 0).any():
        raise LtvInputError("a zero churn probability with no horizon cap gives infinite LTV")
    discount = (1.0 + annual_discount_rate) ** (-1.0 / 12.0)
    return ContractualLtv(
        expected_lifetime_months=paid_months(1.0),
        ltv=gross_margin * value * paid_months(discount),
    )
