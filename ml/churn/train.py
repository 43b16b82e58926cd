"""Train one churn model per horizon (1 and 3 months) on the customer-month panel."""

from __future__ import annotations

from datetime import date

import mlflow
import pandas as pd

from mdp.settings import Settings
from mdp.warehouse import get_warehouse
from ml.churn import features
from ml.churn.evaluate import risk_table
from ml.common import tracking, training

MODEL = "churn"


def build_jobs(settings: Settings, snapshot: date | None = None) -> list[training.TrainingJob]:
    """One training job per horizon, from the panel as of `snapshot` (default: latest month)."""
    with get_warehouse(settings) as warehouse:
        frame = features.panel(warehouse)
    month = features.snapshot_month(frame, snapshot)
    return [_job(frame, month, horizon) for horizon in features.HORIZONS]


def _job(
    frame: pd.DataFrame, month: pd.Timestamp, horizon: features.Horizon
) -> training.TrainingJob:
    rows = features.training_rows(frame, month, horizon)
    return training.TrainingJob(
        experiment=MODEL,
        registered_name=horizon.registered_name,
        frame=rows,
        label=horizon.label,
        time_column=features.TIME_COLUMN,
        spec=features.feature_spec(rows),
        run_params={"feature_snapshot_date": month.date(), "horizon_months": horizon.months},
    )


def train(
    settings: Settings, snapshot: date | None = None
) -> list[training.TrainResult | training.SkippedTraining]:
    """Train, log and register each horizon on its own: one too thin to train is skipped (with
    its reason) and the other still trains."""
    results: list[training.TrainResult | training.SkippedTraining] = []
    for job in build_jobs(settings, snapshot):
        result = training.run(job, settings)
        if isinstance(result, training.TrainResult):
            with mlflow.start_run(run_id=result.run_id):
                tracking.log_table(
                    risk_table(
                        result.split.test[job.label],
                        result.test_probability,
                        int(job.run_params["horizon_months"]),
                        settings.ml,
                    ),
                    "evaluation/risk_levels.csv",
                )
        results.append(result)
    return results
