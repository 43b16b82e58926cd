"""Vectorised probability helpers: logistic links, per-user sequential draws, Bayes AUC."""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def group_starts(groups: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal values in a sorted group array."""
    return np.r_[0, np.flatnonzero(np.diff(groups)) + 1] if len(groups) else np.array([], int)


def group_cumsum(values: np.ndarray, groups: np.ndarray, *, exclusive: bool = False) -> np.ndarray:
    """Running sum within runs of equal `groups` (rows sorted by group)."""
    total = np.cumsum(values, dtype=np.float64)
    starts = group_starts(groups)
    counts = np.diff(np.r_[starts, len(groups)])
    before = np.repeat(total[starts] - values[starts], counts)
    running = total - before
    return running - values if exclusive else running


def first_success_probability(groups: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(the first success of each group happens at this row) for independent Bernoulli(p)."""
    log_survival = group_cumsum(np.log1p(-np.minimum(p, 1 - 1e-12)), groups, exclusive=True)
    return p * np.exp(log_survival)


def first_success(groups: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """Boolean mask of the first True row within each group."""
    earlier = group_cumsum(hits.astype(np.float64), groups, exclusive=True)
    return hits & (earlier == 0)


def bayes_auc(p: np.ndarray) -> float:
    """Expected AUC of the true probabilities when outcomes are drawn from them.

    AUC = P(p_i > p_j | y_i = 1, y_j = 0), with ties counted half, weighting every pair by
    p_i (1 − p_j); this is the best AUC any model can expect on these rows.
    """
    order = np.argsort(p, kind="stable")
    p = p[order]
    _, start = np.unique(p, return_index=True)
    neg_weight = np.add.reduceat(1 - p, start)
    pos_weight = np.add.reduceat(p, start)
    neg_below = np.cumsum(neg_weight) - neg_weight
    numerator = np.sum(pos_weight * (neg_below + 0.5 * neg_weight))
    self_pairs = 0.5 * np.sum(p * (1 - p))  # a row is never paired with itself
    return float((numerator - self_pairs) / (p.sum() * (1 - p).sum() - np.sum(p * (1 - p))))
