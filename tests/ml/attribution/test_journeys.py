"""Encoding paths: the vectorised split equals Python's str.split, whichever route it takes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ml.attribution import markov
from ml.attribution.journeys import SAMPLE, Journeys, _repeats, _token_view, encode

Outcomes = dict[tuple[str, ...], tuple[float, float, float]]


def _by_python(strings: list[str], conv: list[float], null: list[float], sep: str) -> Outcomes:
    """Per distinct channel sequence (str.split, names stripped): summed outcomes."""
    totals: dict[tuple[str, ...], np.ndarray] = {}
    for path, c, n in zip(strings, conv, null, strict=True):
        key = tuple(name.strip() for name in path.split(sep)) if path else ()
        totals[key] = totals.get(key, np.zeros(3)) + np.array([c, n, 10 * c])
    return {key: tuple(v) for key, v in totals.items() if v[0] + v[1] > 0}


def _decoded(journeys: Journeys) -> Outcomes:
    totals: dict[tuple[str, ...], np.ndarray] = {}
    for i in range(journeys.n_paths):
        codes = journeys.codes[journeys.offsets[i] : journeys.offsets[i + 1]]
        key = tuple(journeys.channels[c] for c in codes)
        outcome = (journeys.conversions[i], journeys.nulls[i], journeys.value[i])
        totals[key] = totals.get(key, np.zeros(3)) + outcome
    return {key: tuple(v) for key, v in totals.items()}


# (separator, paths, whether the zero-copy split applies or Arrow's split must decide)
CASES = [
    (">", ["a>b>c", "b", "a>b>c", "", "c>a", " a > b ", ">a", "a>>b", "café>naïve", "z"], True),
    (">", ["a>b", "a>", "b"], False),  # a separator ends a path: Arrow's trailing empty touch
    (" > ", ["a > b", "a > b > c", "", "x >y", "a >  > b", "b"], True),
    ("--", ["a---b", "a--b"], False),  # overlapping separators: Arrow splits left to right
    ("->", ["a-", ">b", "c->d"], False),  # a separator only across two paths' bytes
]


@pytest.mark.parametrize(("sep", "strings", "zero_copy"), CASES)
@pytest.mark.parametrize("aggregate", [True, False])
@pytest.mark.parametrize("form", ["string", "large_string", "slice", "categorical"])
def test_every_route_splits_as_python(
    sep: str, strings: list[str], zero_copy: bool, aggregate: bool, form: str
) -> None:
    rng = np.random.default_rng(len(strings))
    conv = rng.integers(0, 3, size=len(strings)).astype(float)
    null = rng.integers(0, 3, size=len(strings)).astype(float)
    conv[0], null[-1] = 1.0, 0.0  # the last path has no outcome when its conv is 0 too
    array: pa.Array | pd.Series
    if form == "slice":  # an Arrow slice: its offsets do not start at the data's first byte
        array = pa.array(["skipped>path", *strings], pa.large_string())[1:]
    elif form == "categorical":
        array = pd.Series(strings, dtype="category")
    else:
        array = pa.array(strings, pa.string() if form == "string" else pa.large_string())
        assert (_token_view(array, sep) is not None) == zero_copy
    journeys = encode(array, conv, null, 10 * conv, sep=sep, aggregate=aggregate)
    expected = _by_python(strings, conv.tolist(), null.tolist(), sep)
    assert _decoded(journeys) == expected
    assert journeys.channels == tuple(sorted({c for key in expected for c in key}))


def test_repeated_paths_are_aggregated_first_and_results_do_not_change() -> None:
    rng = np.random.default_rng(0)
    names = np.array(["search", "social", "email", "video"])
    unique = [">".join(rng.choice(names, size=9)) for _ in range(3 * SAMPLE)]
    repeated = list(rng.choice(unique[:50], size=3 * SAMPLE))
    assert not _repeats(pa.array(unique)) and _repeats(pa.array(repeated))
    conv = rng.integers(0, 2, size=len(repeated)).astype(float)
    fits = {}
    for aggregate in (True, False):
        journeys = encode(repeated, conv, 1.0 - conv, sep=">", aggregate=aggregate)
        chain = markov.build_structure(journeys, order=2)
        fits[aggregate] = markov.removal_effects(chain, journeys.conversions, journeys.nulls)
        assert journeys.n_paths == len(set(repeated) if aggregate else repeated)
    assert fits[True][0] == pytest.approx(fits[False][0], abs=1e-12)
    np.testing.assert_allclose(fits[True][1], fits[False][1], atol=1e-12)
