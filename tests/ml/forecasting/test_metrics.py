"""MASE, MAPE and coverage against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ml.forecasting.metrics import coverage, mape, mase, seasonal_naive_scale


def test_mase_scales_by_in_sample_seasonal_naive_error() -> None:
    train = np.array([1.0, 3.0, 2.0, 4.0, 3.0, 5.0])
    # Lag-2 differences: 1, 1, 1, 1 -> scale 1; errors 1 and 3 -> MAE 2.
    assert seasonal_naive_scale(train, 2) == pytest.approx(1.0)
    assert mase(np.array([4.0, 8.0]), np.array([5.0, 5.0]), train, m=2) == pytest.approx(2.0)
    # Lag-1 differences: 2, 1, 2, 1, 2 -> scale 1.6.
    assert mase(np.array([4.0, 8.0]), np.array([5.0, 5.0]), train, m=1) == pytest.approx(2 / 1.6)


def test_mase_is_nan_for_a_constant_training_series() -> None:
    assert math.isnan(mase(np.array([1.0]), np.array([0.0]), np.zeros(10), m=7))


def test_mape_skips_zero_actuals() -> None:
    # |0-1| is skipped; |2-1|/2 = 0.5 and |4-5|/4 = 0.25 -> 0.375.
    assert mape(np.array([0.0, 2.0, 4.0]), np.array([1.0, 1.0, 5.0])) == pytest.approx(0.375)
    assert math.isnan(mape(np.zeros(3), np.ones(3)))


def test_coverage_counts_bounds_as_inside() -> None:
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    assert coverage(actual, np.array([1.0, 0, 0, 5]), np.array([2.0, 2, 2, 6])) == 0.5
