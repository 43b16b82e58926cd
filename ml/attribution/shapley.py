"""Shapley attribution over channel coalitions: exact up to ~15 channels, sampled beyond.

Coalition value (the "simple Shapley" of Zhao et al. 2018): v(T) = the conversions (or value)
of journeys whose set of channels is a subset of T, i.e. what the channels in T could have
produced on their own. Order and repetitions within a journey are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial, log, sqrt

import numpy as np

from ml.attribution.errors import AttributionError
from ml.attribution.journeys import Journeys

MAX_CHANNELS = 62  # coalitions are int64 bitmasks


@dataclass(frozen=True)
class SampledShapley:
    """Permutation estimate with its standard error and a Hoeffding bound."""

    values: np.ndarray
    standard_error: np.ndarray
    bound: np.ndarray  # |estimate - exact| <= bound for all channels with prob >= 1 - delta
    delta: float
    n_permutations: int


def channel_sets(journeys: Journeys) -> np.ndarray:
    """Bitmask of each journey's channels (0 for a journey without touches)."""
    n = len(journeys.channels)
    if n > MAX_CHANNELS:
        raise AttributionError(f"Shapley handles up to {MAX_CHANNELS} channels, got {n}")
    masks = np.zeros(journeys.n_paths, dtype=np.int64)
    nonempty = journeys.lengths > 0
    bits = np.left_shift(np.int64(1), journeys.codes)
    if len(bits):
        masks[nonempty] = np.bitwise_or.reduceat(bits, journeys.offsets[:-1][nonempty])
    return masks


def coalition_values(masks: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """v[T] = sum of weights of journeys whose channel set is a subset of T, for all 2^n T."""
    v = np.zeros(1 << n)
    np.add.at(v, masks, weights)
    for bit in range(n):  # subset-sum (zeta) transform, one channel at a time
        view = v.reshape(-1, 2, 1 << bit)
        view[:, 1, :] += view[:, 0, :]
    return v


def exact_shapley(v: np.ndarray) -> np.ndarray:
    """Shapley values of the game v over n players (v indexed by coalition bitmask)."""
    n = int(np.log2(len(v)))
    sizes = np.bitwise_count(np.arange(len(v), dtype=np.uint64)).astype(np.int64)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    values = np.zeros(n)
    for j in range(n):
        pairs = v.reshape(-1, 2, 1 << j)
        without = sizes.reshape(-1, 2, 1 << j)[:, 0, :]
        values[j] = (weight[without] * (pairs[:, 1, :] - pairs[:, 0, :])).sum()
    return values


def sampled_shapley(
    masks: np.ndarray,
    weights: np.ndarray,
    n: int,
    n_permutations: int,
    seed: int = 0,
    delta: float = 0.05,
) -> SampledShapley:
    """Average marginal contributions over random orders of the channels.

    In one order a journey's weight is the marginal contribution of its member that comes last,
    so one permutation costs one argmax per journey set. Channel j's contribution lies in
    [0, c_j] (c_j = weight of journeys holding j), hence Hoeffding with a union bound over n.
    """
    masks, weights = _unique_sets(masks, weights)
    members = (masks[:, None] >> np.arange(n)[None, :]) & 1 == 1
    rng = np.random.default_rng(seed)
    per_permutation = np.zeros((n_permutations, n))
    chunk = max(1, int(2e7 // max(1, len(masks) * n)))
    for start in range(0, n_permutations, chunk):
        b = min(chunk, n_permutations - start)
        orders = rng.permuted(np.tile(np.arange(n), (b, 1)), axis=1)
        position = np.argsort(orders, axis=1)
        ranked = np.where(members[None, :, :], position[:, None, :], -1)
        last = ranked.argmax(axis=2)  # b x sets: the member that completes each set
        flat = (np.arange(b)[:, None] * n + last).ravel()
        totals = np.bincount(flat, weights=np.tile(weights, b), minlength=b * n)
        per_permutation[start : start + b] = totals.reshape(b, n)
    values = per_permutation.mean(axis=0)
    spread = per_permutation.std(axis=0, ddof=1) if n_permutations > 1 else np.zeros(n)
    reach = (members * weights[:, None]).sum(axis=0)
    bound = reach * sqrt(log(2 * n / delta) / (2 * n_permutations))
    return SampledShapley(values, spread / sqrt(n_permutations), bound, delta, n_permutations)


def _unique_sets(masks: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = masks != 0  # journeys without touches are v(empty): nobody's marginal contribution
    unique, inverse = np.unique(masks[keep], return_inverse=True)
    return unique, np.bincount(inverse, weights=weights[keep], minlength=len(unique))


def shapley_values(
    masks: np.ndarray,
    weights: np.ndarray,
    n: int,
    max_exact: int = 15,
    n_permutations: int = 2000,
    seed: int = 0,
) -> tuple[np.ndarray, SampledShapley | None]:
    """Exact values up to `max_exact` channels, else the sampled estimate (also returned)."""
    if n <= max_exact:
        unique, summed = _unique_sets(masks, weights)
        return exact_shapley(coalition_values(unique, summed, n)), None
    sampled = sampled_shapley(masks, weights, n, n_permutations, seed)
    return sampled.values, sampled
