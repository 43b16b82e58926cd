"""Score open leads with the champion: probability, Hot/Warm/Cold tier, top-3 reasons."""

from __future__ import annotations

from datetime import date

import pandas as pd

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from ml.common import tracking
from ml.common.registry import load_champion
from ml.common.scoring import with_provenance, write_scores
from ml.lead_scoring import features
from ml.lead_scoring.evaluate import tiers
from ml.lead_scoring.train import REGISTERED_NAME

TABLE = "scores.lead_scores"
KEYS = ("lead_id", "feature_snapshot_date")


def score_frame(rows: pd.DataFrame, model: object, settings: Settings) -> pd.DataFrame:
    """lead_id, probability, tier and reason_1..3 for the given leads."""
    probability = model.probability(rows)  # type: ignore[attr-defined]
    reasons = model.reasons(rows)  # type: ignore[attr-defined]
    return pd.DataFrame(
        {
            "lead_id": rows["lead_id"].to_numpy(),
            "probability": probability,
            "tier": tiers(probability, settings.ml),
            **{f"reason_{i + 1}": [r[i] for r in reasons] for i in range(3)},
        }
    )


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.lead_scores for the leads created in the 90 days up to the snapshot."""
    tracking.configure(settings)
    serving = load_champion(REGISTERED_NAME)
    with get_warehouse(settings) as warehouse:
        frame = features.lead_frame(warehouse)
    day = features.snapshot_date(frame, snapshot)
    rows = features.scoring_rows(frame, day)
    scores = score_frame(rows, serving.model, settings)
    return [write_scores(TABLE, with_provenance(scores, serving, day), KEYS, settings)]
