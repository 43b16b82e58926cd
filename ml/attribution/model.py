"""`paths()`: Markov and Shapley attribution of journey paths, with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.attribution import markov, shapley
from ml.attribution.errors import AttributionError
from ml.attribution.journeys import DEFAULT_SEP, Journeys, encode

MODELS = ("markov", "shapley")


@dataclass(frozen=True)
class AttributionResult:
    """Per-channel credits of both models; `table` has one row per channel."""

    # index channel; removal_effect, markov_conversions / _value, shapley_conversions / _value
    # (of the models asked for), plus <column>_lo / _hi with a bootstrap
    table: pd.DataFrame
    p_conversion: float  # absorption probability of the full Markov chain
    total_conversions: float
    total_value: float
    unattributed_conversions: float  # of journeys without any touch: no channel gets them
    order: int
    shapley_sampled: shapley.SampledShapley | None  # set when the channels exceed max_exact
    bootstrap_samples: int

    @property
    def channels(self) -> list[str]:
        return list(self.table.index)

    @property
    def removal_effects(self) -> pd.Series:
        return self.table["removal_effect"]


def _point(
    journeys: Journeys,
    chain: markov.ChainStructure,
    masks: np.ndarray,
    models: tuple[str, ...],
    shapley_options: tuple[int, int, int],
) -> tuple[dict[str, np.ndarray], float, shapley.SampledShapley | None]:
    stats: dict[str, np.ndarray] = {}
    p_conv, sampled = float("nan"), None
    if "markov" in models:
        p_conv, effects = markov.removal_effects(chain, journeys.conversions, journeys.nulls)
        touched = journeys.lengths > 0
        total = effects.sum()
        share = effects / total if total > 0 else np.zeros_like(effects)
        stats["removal_effect"] = effects
        stats["markov_conversions"] = share * journeys.conversions[touched].sum()
        stats["markov_value"] = share * journeys.value[touched].sum()
    if "shapley" in models:
        n = len(journeys.channels)
        stats["shapley_conversions"], sampled = shapley.shapley_values(
            masks, journeys.conversions, n, *shapley_options
        )
        stats["shapley_value"], _ = shapley.shapley_values(
            masks, journeys.value, n, *shapley_options
        )
    return stats, p_conv, sampled


def resample(journeys: Journeys, rng: np.random.Generator) -> Journeys:
    """Poisson bootstrap of journeys: each journey is drawn Poisson(1) times, so a path's
    conversions and nulls are Poisson(count) (works for any, even fractional, counts)."""
    conversions = rng.poisson(journeys.conversions).astype(np.float64)
    nulls = rng.poisson(journeys.nulls).astype(np.float64)
    per_conversion = np.divide(
        journeys.value,
        journeys.conversions,
        out=np.zeros_like(journeys.value),
        where=journeys.conversions > 0,
    )
    return journeys.with_counts(conversions, nulls, per_conversion * conversions)


def paths(
    sequence: Sequence[object] | np.ndarray | pd.Series,
    conversions: object,
    nulls: object,
    value: object = None,
    order: int = 1,
    *,
    sep: str = DEFAULT_SEP,
    n_bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    shapley_max_exact: int = 15,
    shapley_permutations: int = 2000,
    models: tuple[str, ...] = MODELS,
) -> AttributionResult:
    """Attribute conversions (and value) of journey paths to channels, Markov and Shapley.

    `sequence`: path strings ('a > b > c', see `sep`) or lists of channels; `conversions`,
    `nulls` and `value`: per-path counts and total conversion value. Markov credits are the
    normalised removal effects times total conversions / value of journeys with a touch;
    Shapley credits are the channels' Shapley values. `n_bootstrap` > 0 adds percentile
    intervals (`<statistic>_lo` / `_hi`) from resampled journeys. `models` picks Markov and/or
    Shapley (p_conversion is nan without Markov).
    """
    if not 0 < confidence < 1:
        raise AttributionError(f"confidence must be in (0, 1), got {confidence}")
    if not models or set(models) - set(MODELS):
        raise AttributionError(f"models must be a non-empty subset of {MODELS}, got {models}")
    # resamples redraw every path's counts: fewer, aggregated paths make each one cheaper
    journeys = encode(sequence, conversions, nulls, value, sep, aggregate=n_bootstrap > 0 or None)
    chain = markov.build_structure(journeys, order)
    masks = shapley.channel_sets(journeys) if "shapley" in models else np.zeros(0, np.int64)
    options = (shapley_max_exact, shapley_permutations, seed)
    stats, p_conv, sampled = _point(journeys, chain, masks, models, options)
    table = pd.DataFrame(stats, index=pd.Index(journeys.channels, name="channel"))
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        draws = {name: np.zeros((n_bootstrap, len(journeys.channels))) for name in stats}
        for b in range(n_bootstrap):
            replicate, _, _ = _point(resample(journeys, rng), chain, masks, models, options)
            for name in stats:
                draws[name][b] = replicate[name]
        tail = (1 - confidence) / 2 * 100
        for name in list(stats):
            table[f"{name}_lo"] = np.percentile(draws[name], tail, axis=0)
            table[f"{name}_hi"] = np.percentile(draws[name], 100 - tail, axis=0)
    touched = journeys.lengths > 0
    return AttributionResult(
        table=table,
        p_conversion=p_conv,
        total_conversions=float(journeys.conversions.sum()),
        total_value=float(journeys.value.sum()),
        unattributed_conversions=float(journeys.conversions[~touched].sum()),
        order=order,
        shapley_sampled=sampled,
        bootstrap_samples=n_bootstrap,
    )
