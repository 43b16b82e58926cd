"""Score customers with each horizon's champion: probability, risk level, top-3 reasons."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from ml.churn import features
from ml.churn.evaluate import risk_levels
from ml.common import tracking
from ml.common.registry import load_champion
from ml.common.scoring import with_provenance, write_scores

TABLE = "scores.churn_scores"
KEYS = ("account_id", "horizon_months", "feature_snapshot_date")


def score_frame(
    rows: pd.DataFrame, model: object, horizon: features.Horizon, settings: Settings
) -> pd.DataFrame:
    """account_id, horizon, probability, risk level and reason_1..3 for the given rows."""
    probability = model.probability(rows)  # type: ignore[attr-defined]
    reasons = model.reasons(rows)  # type: ignore[attr-defined]
    return pd.DataFrame(
        {
            "account_id": rows["account_id"].to_numpy(),
            "horizon_months": horizon.months,
            "probability": probability,
            "risk_level": risk_levels(probability, settings.ml),
            **{f"reason_{i + 1}": [r[i] for r in reasons] for i in range(3)},
        }
    )


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.churn_scores (one row per customer and horizon) for the snapshot month."""
    tracking.configure(settings)
    servings = [load_champion(h.registered_name) for h in features.HORIZONS]
    with get_warehouse(settings) as warehouse:
        frame = features.panel(warehouse)
    month = features.snapshot_month(frame, snapshot)
    rows = features.scoring_rows(frame, month)
    tables: list[pa.Table] = []
    for horizon, serving in zip(features.HORIZONS, servings, strict=True):
        scores = score_frame(rows, serving.model, horizon, settings)
        tables.append(with_provenance(scores, serving, month.date()))
    return [write_scores(TABLE, table, KEYS, settings) for table in tables]
