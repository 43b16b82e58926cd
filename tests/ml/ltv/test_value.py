"""LTV over a horizon: contractual hand computations and non-contractual discounting."""

from __future__ import annotations

import numpy as np
import pytest

from ml.ltv.bgnbd import expected_purchases
from ml.ltv.errors import LtvInputError
from ml.ltv.gamma_gamma import expected_average_spend
from ml.ltv.value import contractual_ltv, noncontractual_ltv

PURCHASES = {"r": 0.6, "alpha": 45.0, "a": 0.9, "b": 4.0}
SPEND = {"p": 5.0, "q": 3.0, "gamma": 80.0}


def test_contractual_ltv_by_hand():
    # h = 0.1, 3 months, no discount: 0.9 + 0.81 + 0.729 = 2.439 paid months
    value = contractual_ltv([100.0], [0.1], 3, annual_discount_rate=0.0, gross_margin=0.8)
    assert value.expected_lifetime_months == pytest.approx([2.439])
    assert value.ltv == pytest.approx([0.8 * 100 * 2.439])


def test_contractual_ltv_discounted_by_hand():
    d = 1.1 ** (-1 / 12)
    months = [0.95**k * d**k for k in range(1, 25)]
    value = contractual_ltv([250.0], [0.05], 24, annual_discount_rate=0.1, gross_margin=0.75)
    assert value.ltv == pytest.approx([0.75 * 250 * sum(months)])
    assert value.expected_lifetime_months == pytest.approx([sum(0.95**k for k in range(1, 25))])


def test_contractual_lifetime_is_geometric_without_cap():
    h = np.array([0.02, 0.1, 0.5, 1.0])
    value = contractual_ltv(np.ones(4), h, None, annual_discount_rate=0.0, gross_margin=1.0)
    assert value.expected_lifetime_months == pytest.approx((1 - h) / h)


def test_contractual_minimum_term_renewals_are_certain():
    # two certain renewals, then survival 0.8 per month: 1 + 1 + 0.8 + 0.64 within 4 months
    value = contractual_ltv([10.0], [0.2], 4, guaranteed_months=[2], annual_discount_rate=0.0)
    assert value.expected_lifetime_months == pytest.approx([3.44])
    capped = contractual_ltv([10.0], [0.2], 1, guaranteed_months=[2], annual_discount_rate=0.0)
    assert capped.expected_lifetime_months == pytest.approx([1.0])


@pytest.mark.parametrize("h", [-0.1, 1.5, np.nan])
def test_contractual_refuses_bad_probabilities(h):
    with pytest.raises(LtvInputError, match="churn probabilities"):
        contractual_ltv([10.0], [h])


def test_noncontractual_undiscounted_is_purchases_times_spend():
    x, t_x, t, z = (
        np.array([0, 2, 6]),
        np.array([0.0, 40.0, 200.0]),
        np.array([90.0] * 2 + [300.0]),
        np.array([0.0, 120.0, 60.0]),
    )
    value = noncontractual_ltv(
        PURCHASES, SPEND, x, t_x, t, z, 365.0, annual_discount_rate=0.0, gross_margin=1.0
    )
    count = expected_purchases(PURCHASES, 365.0, x, t_x, t)
    assert value.expected_purchases == pytest.approx(count)
    assert value.ltv == pytest.approx(count * expected_average_spend(SPEND, x, np.maximum(z, 1)))


def test_noncontractual_discounting_by_step():
    x, t_x, t, z = [3], [50.0], [100.0], [80.0]
    # one step covering the year: every purchase discounted by a full year
    one = noncontractual_ltv(PURCHASES, SPEND, x, t_x, t, z, 365.25, step=365.25, gross_margin=1.0)
    flat = noncontractual_ltv(
        PURCHASES, SPEND, x, t_x, t, z, 365.25, annual_discount_rate=0.0, gross_margin=1.0
    )
    assert one.ltv == pytest.approx(flat.ltv / 1.1)
    # two half-year steps: each half's purchases discounted from the end of that half
    half = noncontractual_ltv(
        PURCHASES, SPEND, x, t_x, t, z, 365.25, step=365.25 / 2, gross_margin=1.0
    )
    first = expected_purchases(PURCHASES, 365.25 / 2, x, t_x, t)
    second = flat.expected_purchases - first
    spend = flat.expected_spend
    assert half.ltv == pytest.approx(spend * (first / 1.1**0.5 + second / 1.1))
    assert one.ltv < half.ltv < flat.ltv
