"""Shapley values: the coalition formula against permutations, and the sampled estimate's bound."""

from __future__ import annotations

from itertools import permutations
from math import factorial

import numpy as np
import pytest

from ml.attribution import paths
from ml.attribution.journeys import encode
from ml.attribution.shapley import (
    channel_sets,
    coalition_values,
    exact_shapley,
    sampled_shapley,
)


def _permutation_shapley(v: np.ndarray, n: int) -> np.ndarray:
    """Average marginal contribution over all n! orders (the definition)."""
    total = np.zeros(n)
    for order in permutations(range(n)):
        coalition = 0
        for player in order:
            total[player] += v[coalition | 1 << player] - v[coalition]
            coalition |= 1 << player
    return total / factorial(n)


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_exact_equals_all_permutations_on_random_games(n: int) -> None:
    v = np.random.default_rng(n).normal(size=1 << n)
    v[0] = 0.0
    np.testing.assert_allclose(exact_shapley(v), _permutation_shapley(v, n), atol=1e-12)


def test_coalition_values_count_journeys_whose_channels_are_a_subset() -> None:
    masks = np.array([0b001, 0b011, 0b110, 0b011])
    weights = np.array([1.0, 2.0, 4.0, 8.0])
    v = coalition_values(masks, weights, 3)
    for coalition in range(8):
        expected = sum(w for m, w in zip(masks, weights, strict=True) if m & ~coalition == 0)
        assert v[coalition] == expected


def _random_journeys(
    seed: int, n_channels: int, n_paths: int
) -> tuple[list[list[str]], np.ndarray]:
    rng = np.random.default_rng(seed)
    names = [f"c{i:02d}" for i in range(n_channels)]
    journeys = [list(rng.choice(names, size=rng.integers(1, 6))) for _ in range(n_paths)]
    return journeys, rng.integers(1, 10, size=n_paths).astype(float)


def _equal_split(journeys: list[list[str]], conv: np.ndarray) -> dict[str, float]:
    """The game is a sum of unanimity games, one per journey: each channel in it gets conv/|S|."""
    credit: dict[str, float] = {}
    for path, c in zip(journeys, conv, strict=True):
        for channel in set(path):
            credit[channel] = credit.get(channel, 0.0) + c / len(set(path))
    return credit


def test_exact_shapley_credits_equal_the_unanimity_decomposition() -> None:
    journeys, conv = _random_journeys(0, n_channels=10, n_paths=200)
    table = paths(journeys, conv, np.ones(len(conv))).table
    expected = _equal_split(journeys, conv)
    for channel, credit in table["shapley_conversions"].items():
        assert credit == pytest.approx(expected[channel], abs=1e-9)


@pytest.mark.parametrize("n_channels", [8, 20])
def test_sampled_shapley_is_within_its_hoeffding_bound(n_channels: int) -> None:
    journeys, conv = _random_journeys(1, n_channels, n_paths=300)
    encoded = encode(journeys, conv, np.zeros(len(conv)))
    sampled = sampled_shapley(channel_sets(encoded), encoded.conversions, n_channels, 400, seed=3)
    expected = _equal_split(journeys, conv)
    exact = np.array([expected[c] for c in encoded.channels])
    assert (np.abs(sampled.values - exact) <= sampled.bound).all()
    # the bound is loose; the standard error says how far estimates really stray
    assert (np.abs(sampled.values - exact) <= 5 * sampled.standard_error + 1e-12).all()
    assert sampled.values.sum() == pytest.approx(conv.sum())


def test_more_than_max_exact_channels_switches_to_sampling() -> None:
    journeys, conv = _random_journeys(2, n_channels=18, n_paths=200)
    result = paths(journeys, conv, np.ones(len(conv)), shapley_permutations=300)
    assert result.shapley_sampled is not None
    assert result.shapley_sampled.n_permutations == 300
    assert result.table["shapley_conversions"].sum() == pytest.approx(conv.sum())
