"""Exact Markov removal effects against a dense brute-force absorbing chain."""

from __future__ import annotations

import numpy as np
import pytest

from ml.attribution import markov, paths


def _random_paths(rng: np.random.Generator, n_channels: int, n_paths: int) -> list[list[str]]:
    names = [f"ch{i}" for i in range(n_channels)]
    # some journeys have no touch: they go from start straight to their outcome
    return [list(rng.choice(names, size=rng.integers(0, 7))) for _ in range(n_paths)]


def _brute_force(
    journeys: list[list[str]], conv: list[int], null: list[int], order: int, removed: str | None
) -> float:
    """P(conversion) by dict-counted transitions and P^(2^60) on the dense chain."""
    counts: dict[tuple[object, object], float] = {}

    def add(a: object, b: object, w: float) -> None:
        counts[(a, b)] = counts.get((a, b), 0.0) + w

    for path, c, n in zip(journeys, conv, null, strict=True):
        states = [tuple(path[max(0, i - order + 1) : i + 1]) for i in range(len(path))]
        for a, b in zip(["start", *states][: len(states)], states, strict=True):
            add(a, b, c + n)
        last = states[-1] if states else "start"
        add(last, "conv", c)
        add(last, "null", n)
    nodes = sorted({k for pair in counts for k in pair}, key=str)
    at = {node: i for i, node in enumerate(nodes)}
    p = np.zeros((len(nodes), len(nodes)))
    for (a, b), w in counts.items():
        p[at[a], at[b]] += w
    for node in nodes:
        row = at[node]
        if node in ("conv", "null"):
            p[row] = 0.0
            p[row, row] = 1.0
        elif removed is not None and isinstance(node, tuple) and removed in node:
            p[row] = 0.0
            p[row, at["null"]] = 1.0
        else:
            p[row] /= p[row].sum()
    for _ in range(60):
        p = p @ p
    return float(p[at["start"], at["conv"]])


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("route", ["batched dense, key tables", "sparse LU, hashed keys"])
def test_removal_effects_equal_the_dense_brute_force(
    order: int, seed: int, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if route.startswith("sparse"):  # what big chains take: force it on these small ones
        monkeypatch.setattr(markov, "DENSE_WORK", 0)
        monkeypatch.setattr(markov, "TABLE_KEYS", 0)
    rng = np.random.default_rng(seed)
    journeys = _random_paths(rng, n_channels=int(rng.integers(3, 6)), n_paths=25)
    conv = rng.integers(0, 5, size=len(journeys)).tolist()
    null = rng.integers(1, 20, size=len(journeys)).tolist()
    conv[0] = max(conv[0], 1)
    result = paths(journeys, conv, null, order=order)
    p_full = _brute_force(journeys, conv, null, order, None)
    assert result.p_conversion == pytest.approx(p_full, abs=1e-12)
    for channel, effect in result.removal_effects.items():
        expected = 1.0 - _brute_force(journeys, conv, null, order, channel) / p_full
        assert effect == pytest.approx(expected, abs=1e-9)


def test_order_one_on_a_hand_solved_chain() -> None:
    # start->a (10 journeys); a converts 2 and loses 2 directly, 6 move on to b; b converts 3/6.
    # P(conv) = 0.2 + 0.6 * 0.5 = 0.5; without a: 0; without b: 0.2 -> effects 1 and 0.6.
    result = paths(["a", "a > b"], [2, 3], [2, 3], order=1)
    assert result.p_conversion == pytest.approx(0.5, abs=1e-12)
    assert result.removal_effects["a"] == pytest.approx(1.0, abs=1e-12)
    assert result.removal_effects["b"] == pytest.approx(0.6, abs=1e-12)
