"""`paths()`: input forms, credit totals, bootstrap intervals and refused inputs."""

from __future__ import annotations

import numpy as np
import pytest

from ml.attribution import AttributionError, paths

JOURNEYS = ["a > b", "b", "a > c", "c > b > a", "a", "b > c"]
CONV = [3, 2, 1, 4, 2, 1]
NULL = [5, 6, 2, 1, 9, 4]
VALUE = [300.0, 150.0, 80.0, 500.0, 90.0, 40.0]


def test_credits_sum_to_total_conversions_and_value() -> None:
    result = paths(JOURNEYS, CONV, NULL, VALUE, order=2)
    table = result.table
    for model in ("markov", "shapley"):
        assert table[f"{model}_conversions"].sum() == pytest.approx(sum(CONV), abs=1e-9)
        assert table[f"{model}_value"].sum() == pytest.approx(sum(VALUE), abs=1e-9)
    shares = table["removal_effect"] / table["removal_effect"].sum()
    np.testing.assert_allclose(table["markov_conversions"], shares * sum(CONV), atol=1e-12)
    # order >= the longest path makes every state a whole prefix: a tree, so P = 13 / 40
    assert paths(JOURNEYS, CONV, NULL, order=3).p_conversion == pytest.approx(13 / 40, abs=1e-12)


def test_strings_lists_and_duplicates_give_the_same_result() -> None:
    as_strings = paths(JOURNEYS, CONV, NULL, VALUE)
    as_lists = paths([j.split(" > ") for j in JOURNEYS], CONV, NULL, VALUE)
    # the same journeys, each listed once per conversion or null
    units = [
        (j, 1, 0, v / c) for j, c, v in zip(JOURNEYS, CONV, VALUE, strict=True) for _ in range(c)
    ]
    units += [(j, 0, 1, 0.0) for j, n in zip(JOURNEYS, NULL, strict=True) for _ in range(n)]
    split = paths(*zip(*units, strict=True))
    for other in (as_lists, split):
        np.testing.assert_allclose(other.table.to_numpy(), as_strings.table.to_numpy(), atol=1e-9)


def test_bootstrap_intervals_hold_the_point_estimate_and_narrow_with_data() -> None:
    small = paths(JOURNEYS, CONV, NULL, VALUE, n_bootstrap=200, seed=1)
    large = paths(JOURNEYS, np.multiply(CONV, 100), np.multiply(NULL, 100), n_bootstrap=200, seed=1)
    for result in (small, large):
        t = result.table
        for stat in ("removal_effect", "markov_conversions", "shapley_conversions"):
            assert (t[f"{stat}_lo"] <= t[stat]).all() and (t[stat] <= t[f"{stat}_hi"]).all()
    width = lambda r: r.table["removal_effect_hi"] - r.table["removal_effect_lo"]  # noqa: E731
    assert (width(large) < width(small) / 5).all()  # ~1/sqrt(100) of the width


def test_a_touchless_journey_converts_without_crediting_any_channel() -> None:
    result = paths(["a", ""], [2, 3], [2, 3])
    assert result.unattributed_conversions == 3
    assert result.table["markov_conversions"].sum() == pytest.approx(2)


@pytest.mark.parametrize(
    ("conv", "null", "message"),
    [
        ([0, 0], [1, 1], "no conversion"),
        ([1], [1, 1], "one per path"),
        ([1, -1], [1, 1], "non-neg"),
    ],
)
def test_unusable_counts_raise_a_named_error(
    conv: list[int], null: list[int], message: str
) -> None:
    with pytest.raises(AttributionError, match=message):
        paths(["a", "b"], conv, null)
