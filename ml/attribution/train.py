"""Fit Markov attribution per conversion type on the journeys known at a snapshot; log removal
effects, P(conversion) and the channel ranking to MLflow, and the effects as the fitted state."""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdp.settings import Settings
from mdp.warehouse import get_warehouse
from ml.attribution import features
from ml.attribution.model import AttributionResult
from ml.attribution.score import MODEL, fit_by_type
from ml.common import plots, runs, tracking
from ml.common.errors import NotEnoughDataError

LOOKBACK_DAYS = 90  # dbt var attribution_lookback_days: null paths span what converting ones do


def channel_table(results: dict[str, AttributionResult]) -> pd.DataFrame:
    """One row per conversion type and channel: removal effect, both models' conversions and
    the channel's rank by removal effect (1 = the chain loses most without it)."""
    frames = []
    for conversion_type, result in sorted(results.items()):
        table = result.table.reset_index()
        frames.append(
            pd.DataFrame(
                {
                    "conversion_type": conversion_type,
                    "channel": table["channel"],
                    "removal_effect": table["removal_effect"],
                    "markov_conversions": table["markov_conversions"],
                    "shapley_conversions": table["shapley_conversions"],
                    "rank": table["removal_effect"].rank(ascending=False, method="min"),
                }
            ).sort_values(["rank", "channel"])
        )
    return pd.concat(frames, ignore_index=True)


def run_metrics(results: dict[str, AttributionResult], channels: pd.DataFrame) -> dict[str, float]:
    """`<type>.p_conversion`, `<type>.conversions` and per channel `<type>.<measure>.<channel>`."""
    out: dict[str, float] = {}
    for conversion_type, result in results.items():
        out[f"{conversion_type}.p_conversion"] = result.p_conversion
        out[f"{conversion_type}.conversions"] = result.total_conversions
    for row in channels.itertuples():
        channel = tracking.key_part(str(row.channel))
        for measure in ("removal_effect", "markov_conversions", "shapley_conversions", "rank"):
            out[f"{row.conversion_type}.{measure}.{channel}"] = float(getattr(row, measure))
    return out


def train(settings: Settings, snapshot: date | None = None) -> list[runs.FitRun]:
    """Fit, log the run and its state (removal effects per conversion type)."""
    with get_warehouse(settings) as warehouse:
        day = features.snapshot_date(warehouse, snapshot)
        _, journey_paths = features.journeys(warehouse, LOOKBACK_DAYS, as_of=day)
    order = settings.ml.markov_order
    results = fit_by_type(journey_paths, order)
    if not results:
        raise NotEnoughDataError(
            f"no conversion with a tracked touch up to {day}: nothing to attribute"
        )
    channels = channel_table(results)
    metrics = run_metrics(results, channels)
    ranking = {t: " > ".join(part["channel"]) for t, part in channels.groupby("conversion_type")}
    path_counts = journey_paths.groupby("conversion_type").size().to_dict()
    effects = channels.pivot(index="channel", columns="conversion_type", values="removal_effect")

    def artifacts() -> None:
        tracking.log_table(channels, "evaluation/channels.csv")
        tracking.log_figure(
            plots.grouped_bars(effects, "Markov removal effects", "removal effect"),
            "evaluation/removal_effects.png",
        )

    fit = runs.log_fit(
        MODEL,
        settings,
        params={
            "feature_snapshot_date": day,
            "markov_order": order,
            "lookback_days": LOOKBACK_DAYS,
            **{f"{t}.paths": n for t, n in path_counts.items()},
            **{f"{t}.channel_ranking": text for t, text in ranking.items()},
        },
        metrics=metrics,
        state={
            "feature_snapshot_date": day.isoformat(),
            "markov_order": order,
            "lookback_days": LOOKBACK_DAYS,
            "p_conversion": {t: r.p_conversion for t, r in sorted(results.items())},
            "removal_effects": {
                t: r.removal_effects.sort_index().to_dict() for t, r in sorted(results.items())
            },
        },
        summary="; ".join(f"{t}: {text}" for t, text in ranking.items()),
        artifacts=artifacts,
    )
    return [fit]
