"""The allocator respects its constraints, beats an equal split and matches a brute-force grid."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ml.budget.optimize import BudgetInputError, allocate, total_response
from ml.budget.response import ResponseCurve

CURVES = {
    "a": ResponseCurve(theta=0.3, k=20.0, s=1.0, beta=10.0),
    "b": ResponseCurve(theta=0.5, k=60.0, s=1.6, beta=30.0),
    "c": ResponseCurve(theta=0.1, k=10.0, s=0.8, beta=4.0),
}


def _grid_best(names: list[str], total: float, bounds: dict[str, tuple[float, float]]) -> float:
    """Best response over a fine grid of the first n-1 spends (the last takes the rest)."""
    grids = [np.linspace(*bounds[n], 401) for n in names[:-1]]
    best = -np.inf
    for head in itertools.product(*grids):
        last = total - sum(head)
        lo, hi = bounds[names[-1]]
        if lo - 1e-9 <= last <= hi + 1e-9:
            spend = np.array([*head, last])
            best = max(best, total_response([CURVES[n] for n in names], spend))
    return best


@pytest.mark.parametrize("names", [["a", "b"], ["a", "b", "c"]])
def test_allocation_matches_grid_and_respects_bounds(names: list[str]) -> None:
    total = 100.0
    bounds = {n: (5.0, 70.0) for n in names}
    plan = allocate({n: CURVES[n] for n in names}, total, bounds)
    spend = np.array([plan[n] for n in names])
    assert spend.sum() == pytest.approx(total)
    assert all(bounds[n][0] - 1e-9 <= plan[n] <= bounds[n][1] + 1e-9 for n in names)
    value = total_response([CURVES[n] for n in names], spend)
    grid = _grid_best(names, total, bounds)
    assert value >= grid * (1 - 1e-4)  # as good as the best grid point (grid step 0.16)
    equal = total_response([CURVES[n] for n in names], np.full(len(names), total / len(names)))
    assert value > equal


def test_binding_bounds_are_kept() -> None:
    plan = allocate(CURVES, 90.0, {"a": (10.0, 12.0), "b": (0.0, 40.0), "c": (30.0, 60.0)})
    assert 10.0 - 1e-9 <= plan["a"] <= 12.0 + 1e-9
    assert plan["b"] <= 40.0 + 1e-9 and plan["c"] >= 30.0 - 1e-9
    assert sum(plan.values()) == pytest.approx(90.0)


def test_impossible_total_is_refused() -> None:
    with pytest.raises(BudgetInputError, match="cannot be split"):
        allocate(CURVES, 500.0, {n: (0.0, 100.0) for n in CURVES})


def test_optimizer_rows_keep_uncurved_channels_and_report_uplift() -> None:
    from ml.budget.score import optimizer_rows

    current = {"a": 30.0, "b": 30.0, "email": 5.0}
    rows = optimizer_rows({"a": CURVES["a"], "b": CURVES["b"]}, current, 75.0, (0.5, 2.0))
    by_channel = {r["channel"]: r for r in rows}
    assert by_channel["email"]["recommended_daily_spend"] == 5.0
    assert by_channel["email"]["action"] == "keep"
    spent = by_channel["a"]["recommended_daily_spend"] + by_channel["b"]["recommended_daily_spend"]
    assert spent == pytest.approx(70.0)  # 75 minus the fixed 5
    before = sum(by_channel[n]["expected_daily_target_before"] for n in "ab")
    after = sum(by_channel[n]["expected_daily_target_after"] for n in "ab")
    assert by_channel["a"]["portfolio_uplift_pct"] == pytest.approx((after / before - 1) * 100)
    assert after > before
