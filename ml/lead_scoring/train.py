"""Train the lead model on leads whose 90-day outcome is known, register it, apply promotion."""

from __future__ import annotations

from datetime import date

import mlflow

from mdp.settings import Settings
from mdp.warehouse import get_warehouse
from ml.common import tracking, training
from ml.lead_scoring import features
from ml.lead_scoring.evaluate import tier_table

MODEL = "lead_scoring"
REGISTERED_NAME = "mdp_lead_scoring"


def build_job(settings: Settings, snapshot: date | None = None) -> training.TrainingJob:
    """The training job from the marts as of `snapshot` (default: the latest lead's day)."""
    with get_warehouse(settings) as warehouse:
        frame = features.lead_frame(warehouse)
    day = features.snapshot_date(frame, snapshot)
    rows = features.training_rows(frame, day)
    return training.TrainingJob(
        experiment=MODEL,
        registered_name=REGISTERED_NAME,
        frame=rows,
        label=features.LABEL,
        time_column=features.TIME_COLUMN,
        spec=features.feature_spec(rows),
        run_params={"feature_snapshot_date": day, "window_days": features.WINDOW_DAYS},
    )


def train(
    settings: Settings, snapshot: date | None = None
) -> list[training.TrainResult | training.SkippedTraining]:
    """Train, log and register the lead model; returns its result (or why it was skipped)."""
    job = build_job(settings, snapshot)
    result = training.run(job, settings)
    if isinstance(result, training.TrainResult):
        with mlflow.start_run(run_id=result.run_id):
            tracking.log_table(
                tier_table(result.split.test[features.LABEL], result.test_probability, settings.ml),
                "evaluation/tiers.csv",
            )
    return [result]
