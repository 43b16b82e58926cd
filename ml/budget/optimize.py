"""Split a daily budget over response curves: most expected response within per-entity bounds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import minimize

from mdp.errors import MdpError
from ml.budget.response import ResponseCurve


class BudgetInputError(MdpError):
    """The budget problem cannot be solved as asked (bounds that cannot meet the total ...)."""


def total_response(curves: Sequence[ResponseCurve], spend: Sequence[float] | np.ndarray) -> float:
    """Expected steady-state response per day of a daily allocation."""
    return float(sum(c.expected(x) for c, x in zip(curves, spend, strict=True)))


def allocate(
    curves: Mapping[str, ResponseCurve],
    total: float,
    bounds: Mapping[str, tuple[float, float]],
    current: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The daily allocation summing to `total` within bounds that maximises expected response.

    SLSQP on the steady-state curves (planning periods are long against the adstock decay).
    Hill curves with s > 1 are S-shaped, so several starts are tried and the best kept.
    """
    names = list(curves)
    fitted = [curves[n] for n in names]
    low = np.array([bounds[n][0] for n in names], dtype=float)
    high = np.array([bounds[n][1] for n in names], dtype=float)
    if low.sum() > total + 1e-9 or high.sum() < total - 1e-9 or (low > high).any():
        raise BudgetInputError(
            f"a total of {total:.2f} per day cannot be split within the per-channel bounds "
            f"(minimums sum to {low.sum():.2f}, maximums to {high.sum():.2f}); "
            "change the total budget or the bounds"
        )
    scale = max(total, 1e-12)  # work in shares of the total: SLSQP is scale-sensitive

    def negative(share: np.ndarray) -> float:
        return -total_response(fitted, share * scale)

    starts = [
        np.clip(np.full(len(names), total / len(names)), low, high),
        low + (high - low) * (total - low.sum()) / max(high.sum() - low.sum(), 1e-12),
    ]
    if current is not None:
        starts.append(np.clip(np.array([current[n] for n in names], dtype=float), low, high))
    best_x, best_value = starts[1], -np.inf
    for start in starts:
        result = minimize(
            negative,
            start / scale,
            method="SLSQP",
            bounds=list(zip(low / scale, high / scale, strict=True)),
            constraints=[{"type": "eq", "fun": lambda s: s.sum() - total / scale}],
            options={"ftol": 1e-12, "maxiter": 500},
        )
        x = np.clip(result.x * scale, low, high)
        value = total_response(fitted, x)
        if abs(x.sum() - total) <= 1e-6 * max(total, 1.0) and value > best_value:
            best_x, best_value = x, value
    return dict(zip(names, best_x.tolist(), strict=True))
