"""Metrics against values worked out by hand on small examples."""

from __future__ import annotations

import numpy as np
import pytest

from ml.common.metrics import brier, ece, lift_by_decile, log_loss, pr_auc, roc_auc

Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])


def test_roc_auc_counts_correctly_ordered_pairs() -> None:
    # pairs (pos, neg): (0.35, 0.1) ok, (0.35, 0.4) wrong, (0.8, 0.1) ok, (0.8, 0.4) ok -> 3/4
    assert roc_auc(Y, P) == pytest.approx(0.75)


def test_roc_auc_counts_ties_as_half() -> None:
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)


def test_pr_auc_is_average_precision() -> None:
    # ranked 0.8 (pos), 0.4 (neg), 0.35 (pos): precision 1 at recall 1/2, 2/3 at recall 1
    assert pr_auc(Y, P) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)


def test_brier_and_log_loss() -> None:
    assert brier(Y, P) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    expected = -(np.log(0.9) + np.log(0.6) + np.log(0.35) + np.log(0.8)) / 4
    assert log_loss(Y, P) == pytest.approx(expected)


def test_ece_weights_each_equal_width_bin_by_its_rows() -> None:
    # bins of width 0.1: [0.1] -> bin 1, [0.35] -> bin 3, [0.4] -> bin 4, [0.8] -> bin 8
    # one row each: |0-0.1| + |1-0.35| + |0-0.4| + |1-0.8| over 4 rows
    assert ece(Y, P) == pytest.approx((0.1 + 0.65 + 0.4 + 0.2) / 4)
    # two rows sharing a bin are averaged before the gap: mean p 0.15, rate 0.5 -> 0.35
    assert ece(np.array([0, 1]), np.array([0.1, 0.2]), bins=2) == pytest.approx(0.35)


def test_ece_is_zero_when_each_bin_rate_matches_its_probability() -> None:
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    p = np.array([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75])
    assert ece(y, p) == pytest.approx(0.0)


def test_lift_by_decile_ranks_highest_first() -> None:
    p = np.linspace(0.0, 1.0, 20)
    y = np.zeros(20)
    y[-2:] = 1  # the two highest scores are the only positives
    table = lift_by_decile(y, p)
    assert table["rows"].tolist() == [2] * 10
    assert table["positives"].tolist() == [2] + [0] * 9
    assert table["lift"].iloc[0] == pytest.approx(1.0 / 0.1)  # rate 1 vs overall 0.1
