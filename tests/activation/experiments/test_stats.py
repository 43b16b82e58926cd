"""The A/B statistics agree with statsmodels and scipy, and the power maths holds by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_effectsize,
    proportions_ztest,
)

from activation.experiments import stats

COUNTS = [(336, 3147, 298, 3191), (860, 1397, 805, 1455), (5, 40, 12, 38), (0, 50, 3, 60)]


@pytest.mark.parametrize(("xt", "nt", "xc", "nc"), COUNTS)
def test_z_test_and_intervals_equal_statsmodels(xt: int, nt: int, xc: int, nc: int) -> None:
    result = stats.lift_test(xt, nt, xc, nc, alpha=0.05)
    z, p = proportions_ztest([xt, xc], [nt, nc])
    assert result.z_statistic == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    low, high = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff")
    assert result.absolute_ci == pytest.approx((low, high), rel=1e-9)
    if xt and xc:
        low, high = confint_proportions_2indep(xt, nt, xc, nc, method="log", compare="ratio")
        assert result.relative_ci == pytest.approx((low - 1, high - 1), rel=1e-9)
    else:
        assert result.relative_ci is None


def test_no_conversions_anywhere_is_not_a_difference() -> None:
    result = stats.lift_test(0, 100, 0, 120)
    assert (result.z_statistic, result.p_value, result.relative_lift) == (0.0, 1.0, None)


def test_sample_size_is_close_to_statsmodels_arcsine_power() -> None:
    # a different approximation (Cohen's h) of the same test: within 2 %
    for baseline, effect, ratio in ((0.1, 0.02, 1.0), (0.5, 0.05, 1.0), (0.04, 0.01, 2.0)):
        control_n, treated_n = stats.sample_size(baseline, effect, 0.05, 0.8, ratio)
        h = abs(proportion_effectsize(baseline + effect, baseline))
        reference = NormalIndPower().solve_power(h, alpha=0.05, power=0.8, ratio=ratio)
        assert control_n == pytest.approx(reference, rel=0.02)
        assert treated_n == pytest.approx(control_n * ratio, abs=1)


def test_sample_size_gives_the_power_it_promises_by_simulation() -> None:
    baseline, effect = 0.10, 0.02
    control_n, treated_n = stats.sample_size(baseline, effect)
    rng = np.random.default_rng(7)
    runs = 4000
    xc = rng.binomial(control_n, baseline, runs)
    xt = rng.binomial(treated_n, baseline + effect, runs)
    rejected = np.mean(
        [
            stats.lift_test(t, treated_n, c, control_n).p_value < 0.05
            for t, c in zip(xt, xc, strict=True)
        ]
    )
    assert rejected == pytest.approx(0.8, abs=0.025)  # 4000 runs: sd of the rate ~0.006


def test_minimum_detectable_effect_inverts_the_sample_size() -> None:
    control_n, treated_n = stats.sample_size(0.2, 0.03)
    mde = stats.minimum_detectable_effect(0.2, control_n, treated_n)
    assert mde == pytest.approx(0.03, rel=0.01)
    assert stats.minimum_detectable_effect(0.0, 100, 100) is None


def test_sample_ratio_check_is_the_chi_square_goodness_of_fit() -> None:
    observed, shares = [666, 517], [0.5, 0.5]  # the planted loss: 20 % of one arm's exposures
    check = stats.sample_ratio_check(observed, shares)
    expected = sum(observed) / 2
    chi2 = sum((o - expected) ** 2 / expected for o in observed)
    assert check.chi2 == pytest.approx(chi2)
    assert check.p_value == pytest.approx(scipy_stats.chi2.sf(chi2, df=1))
    assert check.p_value < 0.001
    balanced = stats.sample_ratio_check([298, 299, 284], [1, 1, 1])
    assert balanced.p_value > 0.5
    assert balanced.expected_shares == pytest.approx((1 / 3,) * 3)
