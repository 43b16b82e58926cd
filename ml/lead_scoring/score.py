"""Score open leads with the champion: probability, Hot/Warm/Cold tier, top-3 reasons."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from ml.common import tracking
from ml.common.registry import load_champion
from ml.common.scoring import percent_score, with_provenance, write_snapshot
from ml.lead_scoring import features
from ml.lead_scoring.evaluate import tiers
from ml.lead_scoring.train import REGISTERED_NAME

TABLE = "scores.lead_scores"
KEYS = ("lead_id", "feature_snapshot_date")


def score_frame(rows: pd.DataFrame, model: object, settings: Settings) -> pd.DataFrame:
    """lead_id, score (0-100), probability, tier and reason_1..3 (sentences) for the leads."""
    probability = model.probability(rows)  # type: ignore[attr-defined]
    reasons = model.reasons(rows, features.FEATURES)  # type: ignore[attr-defined]
    score = percent_score(probability)
    return pd.DataFrame(
        {
            "lead_id": rows["lead_id"].to_numpy(),
            "score": score,
            "probability": probability,
            # from the score people see, so a 30 is Hot whenever the Hot cut-off is 0.30
            "tier": tiers(score / 100, settings.ml),
            **{f"reason_{i + 1}": [r[i] for r in reasons] for i in range(3)},
        }
    )


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.lead_scores for the open leads created in the 90 days up to the snapshot
    (converted, disqualified and deleted leads are never scored)."""
    tracking.configure(settings)
    serving = load_champion(REGISTERED_NAME)
    with get_warehouse(settings) as warehouse:
        frame = features.lead_frame(warehouse)
    day = features.snapshot_date(frame, snapshot)
    rows = features.scoring_rows(frame, day, settings.ml.lead_closed_statuses)
    scores = score_frame(rows, serving.model, settings)
    return [write_snapshot(TABLE, with_provenance(scores, serving, day, SCHEMA), day, settings)]


#: Column types of the scores (fixed, so an empty snapshot still writes a well-typed table).
SCHEMA = pa.schema(
    [
        ("lead_id", pa.string()),
        ("score", pa.int64()),
        ("probability", pa.float64()),
        ("tier", pa.string()),
        *((f"reason_{i}", pa.string()) for i in (1, 2, 3)),
    ]
)
