"""Score current customers with each horizon's champion: risk score (0-100), level, reasons.

Each horizon stands on its own: one without a champion is skipped with its reason while the
other scores."""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from ml.churn import features
from ml.churn.evaluate import risk_levels
from ml.common import tracking
from ml.common.errors import NoChampionError
from ml.common.registry import ServingModel, load_champion
from ml.common.scoring import SkippedScoring, percent_score, with_provenance, write_snapshot

log = logging.getLogger(__name__)

TABLE = "scores.churn_scores"
KEYS = ("account_id", "horizon_months", "feature_snapshot_date")
#: Column types of the scores (fixed, so an empty snapshot still writes a well-typed table).
SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("horizon_months", pa.int64()),
        ("horizon", pa.string()),
        ("risk_score", pa.int64()),
        ("probability", pa.float64()),
        ("risk_level", pa.string()),
        *((f"reason_{i}", pa.string()) for i in (1, 2, 3)),
    ]
)


def score_frame(
    rows: pd.DataFrame, model: object, horizon: features.Horizon, settings: Settings
) -> pd.DataFrame:
    """account_id, horizon, risk score (0-100), probability, level and reason_1..3."""
    probability = model.probability(rows)  # type: ignore[attr-defined]
    reasons = model.reasons(rows, features.features(settings.currency))  # type: ignore[attr-defined]
    risk = percent_score(probability)
    return pd.DataFrame(
        {
            "account_id": rows["account_id"].to_numpy(),
            "horizon_months": horizon.months,
            "horizon": horizon.name,
            "risk_score": risk,
            "probability": probability,
            "risk_level": risk_levels(risk / 100, horizon.months, settings.ml),
            **{f"reason_{i + 1}": [r[i] for r in reasons] for i in range(3)},
        }
    )


def champions() -> tuple[list[tuple[features.Horizon, ServingModel]], list[SkippedScoring]]:
    """Each horizon's champion, and the horizons that have none (with the reason)."""
    serving, skipped = [], []
    for horizon in features.HORIZONS:
        try:
            serving.append((horizon, load_champion(horizon.registered_name)))
        except NoChampionError as error:
            reason = f"{horizon.name} churn risk ({horizon.title}) skipped: {error}"
            log.warning("%s", reason)
            skipped.append(SkippedScoring(TABLE, horizon.registered_name, reason))
    if not serving:
        raise NoChampionError("; ".join(s.reason for s in skipped))
    return serving, skipped


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult | SkippedScoring]:
    """Write scores.churn_scores (one row per current customer and horizon with a champion) for
    the snapshot month; a horizon without a champion is reported as skipped."""
    tracking.configure(settings)
    serving, skipped = champions()
    with get_warehouse(settings) as warehouse:
        frame = features.panel(warehouse)
    month = features.snapshot_month(frame, snapshot)
    rows = features.scoring_rows(frame, month)
    tables = [
        with_provenance(
            score_frame(rows, model.model, horizon, settings), model, month.date(), SCHEMA
        )
        for horizon, model in serving
    ]
    data = pa.concat_tables(tables)
    return [write_snapshot(TABLE, data, month.date(), settings), *skipped]
