"""Markov and Shapley credits per conversion touchpoint, in the shape of fct_attribution_credits."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, Warehouse, get_warehouse
from ml.attribution import features
from ml.attribution.model import AttributionResult, paths
from ml.common.errors import NotEnoughDataError
from ml.common.runs import latest_state
from ml.common.scoring import with_provenance, write_scores

MODEL = "attribution"
MODELS = ("markov", "shapley")
TABLE = "scores.attribution_credits"
KEYS = ("attribution_credit_key", "feature_snapshot_date")
OUTPUT_COLUMNS = (
    "attribution_credit_key",
    "touchpoint_key",
    "conversion_id",
    "conversion_type",
    "conversion_date",
    "attribution_model",
    "touchpoint_number",
    "touch_count",
    "session_key",
    "channel",
    "source",
    "medium",
    "campaign",
    "credit",
    "attributed_revenue",
)


def fit_by_type(journey_paths: pd.DataFrame, order: int = 1) -> dict[str, AttributionResult]:
    """One model per conversion type: each has its own non-converting journeys."""
    results = {}
    for conversion_type, group in journey_paths.groupby("conversion_type"):
        if group["conversions"].sum() > 0:
            results[str(conversion_type)] = paths(
                group["path"], group["conversions"], group["nulls"], group["value"], order=order
            )
    return results


def touch_credits(points: pd.DataFrame, channel_weight: pd.Series) -> np.ndarray:
    """Split each conversion over its distinct channels by weight, then evenly over a channel's
    touches. A conversion whose channels all weigh 0 (or that has no touch) is split linearly."""
    frame = pd.DataFrame(
        {
            "conversion_id": points["conversion_id"].to_numpy(),
            "channel": points["channel"].to_numpy(),
        }
    )
    touches_of_channel = frame.groupby(["conversion_id", "channel"])["channel"].transform("size")
    weight = frame["channel"].map(channel_weight).fillna(0.0).clip(lower=0.0)
    per_touch = weight / touches_of_channel
    total = per_touch.groupby(frame["conversion_id"]).transform("sum")
    linear = 1.0 / frame.groupby("conversion_id")["channel"].transform("size")
    return np.where(total > 0, per_touch / total.where(total > 0, 1.0), linear)


def _model_weights(effects: pd.Series | None, model: str) -> pd.Series:
    if effects is None:
        return pd.Series(dtype=np.float64)
    if model == "markov":
        return effects
    # simple Shapley: a journey's conversion is shared equally by its distinct channels
    return pd.Series(1.0, index=effects.index)


def credits_frame(
    points: pd.DataFrame, results: dict[str, AttributionResult], models: tuple[str, ...] = MODELS
) -> pd.DataFrame:
    """Touchpoint credits of every model, in fct_attribution_credits' columns."""
    effects = {conversion_type: r.removal_effects for conversion_type, r in results.items()}
    return credits_from_effects(points, effects, models)


def credits_from_effects(
    points: pd.DataFrame,
    removal_effects: Mapping[str, pd.Series],
    models: tuple[str, ...] = MODELS,
) -> pd.DataFrame:
    """Touchpoint credits of every model and every conversion type in `points`, from the
    removal effects (by channel) fitted per conversion type; a type without any is split
    linearly."""
    frames = []
    for model in models:
        for conversion_type, group in points.groupby("conversion_type", sort=False):
            weights = _model_weights(removal_effects.get(str(conversion_type)), model)
            frames.append(
                group.assign(attribution_model=model, credit=touch_credits(group, weights))
            )
    frame = pd.concat(frames, ignore_index=True)
    frame["attributed_revenue"] = frame["credit"] * frame["revenue"].astype(np.float64)
    frame["attribution_credit_key"] = [
        hashlib.md5(f"{key}|{model}".encode()).hexdigest()
        for key, model in zip(frame["touchpoint_key"], frame["attribution_model"], strict=True)
    ]
    return frame.loc[:, list(OUTPUT_COLUMNS)]


def attribution_credits(
    warehouse: Warehouse,
    order: int = 1,
    lookback_days: int = 90,
    schema: str = "marts",
    models: tuple[str, ...] = MODELS,
) -> pa.Table:
    """Markov (order `order`) and Shapley credits of every conversion touchpoint.

    Rows match marts.fct_attribution_credits (attribution_model 'markov' / 'shapley'; the key
    is md5 of 'touchpoint_key|model' as dbt.hash makes it); credits of a conversion sum to 1.
    `lookback_days` should equal the dbt var attribution_lookback_days.
    """
    points, journey_paths = features.journeys(warehouse, lookback_days, schema)
    results = fit_by_type(journey_paths, order)
    return pa.Table.from_pandas(credits_frame(points, results, models), preserve_index=False)


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.attribution_credits: Markov and Shapley credits of every touchpoint of the
    conversions up to the snapshot, with the latest training run's removal effects."""
    serving = latest_state(MODEL, settings)
    effects = {
        conversion_type: pd.Series(by_channel, dtype=np.float64)
        for conversion_type, by_channel in serving.model["removal_effects"].items()
    }
    with get_warehouse(settings) as warehouse:
        day = features.snapshot_date(warehouse, snapshot)
        points = features.touchpoints(warehouse, as_of=day).to_pandas()
    if points.empty:
        raise NotEnoughDataError(f"no conversion touchpoint up to {day}: nothing to score")
    frame = credits_from_effects(points, effects)
    return [write_scores(TABLE, with_provenance(frame, serving, day), KEYS, settings)]
