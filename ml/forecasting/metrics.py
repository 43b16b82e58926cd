"""Forecast accuracy measures: MASE, MAPE over non-zero actuals, interval coverage."""

from __future__ import annotations

import numpy as np


def seasonal_naive_scale(train: np.ndarray, m: int) -> float:
    """Mean absolute in-sample seasonal-naive error |y_t - y_{t-m}| (the MASE denominator)."""
    train = np.asarray(train, dtype=float)
    if len(train) <= m:
        return float("nan")
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def mase(actual: np.ndarray, predicted: np.ndarray, train: np.ndarray, m: int) -> float:
    """Mean absolute error scaled by the in-sample seasonal-naive error of `train`.

    NaN when the scale is zero (a constant training series): no model can be compared there.
    """
    scale = seasonal_naive_scale(train, m)
    if not scale > 0:
        return float("nan")
    error = np.abs(np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float))
    return float(np.mean(error) / scale)


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean absolute percentage error over the non-zero actuals only (NaN when all are zero).

    Counts and revenue are often zero on a day; a zero actual has no percentage error, so those
    points are left out rather than capped or symmetrised.
    """
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    keep = actual != 0
    if not keep.any():
        return float("nan")
    return float(np.mean(np.abs((actual[keep] - predicted[keep]) / actual[keep])))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside [lower, upper]."""
    actual = np.asarray(actual, dtype=float)
    return float(np.mean((actual >= lower) & (actual <= upper)))
