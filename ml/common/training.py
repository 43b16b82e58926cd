"""One training run, the same for every classifier: time split, fit, calibrate, evaluate on the
latest window, log everything to MLflow, register, apply the promotion rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

from mdp.settings import Settings
from ml.common import plots, tracking
from ml.common.classifier import ADDITIVE, FeatureSpec, fit_classifier
from ml.common.errors import NotEnoughDataError
from ml.common.metrics import classification_metrics, lift_by_decile, roc_auc
from ml.common.registry import Promotion, promote
from ml.common.splits import TimeSplit, time_split

#: Run-parameter prefix of the chosen learner's settings (LightGBM's keep their old names).
_PARAM_PREFIX = {"lightgbm": "lgbm", ADDITIVE: "additive"}


@dataclass(frozen=True)
class TrainResult:
    """What `mdp train` reports for one registered model."""

    registered_name: str
    run_id: str
    version: str
    metrics: dict[str, float]
    promotion: Promotion
    split: TimeSplit
    test_probability: np.ndarray


@dataclass(frozen=True)
class TrainingJob:
    """Everything model-specific a training run needs."""

    experiment: str  # model name in the catalogue: experiment "mdp-<experiment>"
    registered_name: str
    frame: pd.DataFrame  # labelled rows with features
    label: str
    time_column: str
    spec: FeatureSpec
    run_params: Mapping[str, Any]
    lgbm_params: Mapping[str, Any] | None = None


def champion_scorer(test: pd.DataFrame, label: str) -> Any:
    """Re-score a loaded champion (pyfunc) on the challenger's evaluation rows."""

    def score(champion: Any) -> float:
        names = champion.metadata.get_input_schema().input_names()
        return roc_auc(test[label].to_numpy(), np.asarray(champion.predict(test[names])))

    return score


def run(job: TrainingJob, settings: Settings) -> TrainResult:
    """Train, evaluate, log, register and apply the promotion rule for one model."""
    # the classifier stops its boosting on the training window's latest rows: keep time order
    split = time_split(job.frame.sort_values(job.time_column, kind="stable"), job.time_column)
    test_y = split.test[job.label].to_numpy(dtype=bool)
    if not 0 < test_y.sum() < len(test_y):
        raise NotEnoughDataError(
            f"the evaluation window ({len(test_y)} rows from {split.test_start.date()}) has "
            f"only one class of {job.label!r}; more history is needed"
        )
    tracking.use_experiment(job.experiment, settings)
    with mlflow.start_run(run_name=job.registered_name) as active:
        fitted = fit_classifier(split.train, split.valid, job.label, job.spec, job.lgbm_params)
        p = fitted.model.probability(split.test)
        metrics = classification_metrics(test_y, p)
        tracking.log_params(
            {
                **job.run_params,
                "target": job.label,
                "rows_train": len(split.train),
                "rows_valid": len(split.valid),
                "rows_test": len(split.test),
                "valid_start": split.valid_start.date(),
                "test_start": split.test_start.date(),
                "calibration": fitted.calibration.calibrator.method,
                "learner": fitted.learner,
                "best_iteration": fitted.best_iteration,
                "final_rounds": fitted.rounds,
                "features": ",".join(job.spec.columns),
                **{f"{_PARAM_PREFIX[fitted.learner]}_{k}": v for k, v in fitted.params.items()},
            }
        )
        tracking.log_metrics(metrics, prefix="test_")
        tracking.log_metrics(fitted.valid_log_loss, prefix="valid_log_loss_")
        for method, scores in fitted.calibration.scores.items():
            tracking.log_metrics(scores, prefix=f"valid_cv_{method}_")
        lift = lift_by_decile(test_y, p)
        tracking.log_table(lift, "evaluation/lift_by_decile.csv")
        tracking.log_figure(plots.lift(lift, f"{job.registered_name}: lift"), "evaluation/lift.png")
        tracking.log_figure(
            plots.reliability(test_y, p, f"{job.registered_name}: reliability"),
            "evaluation/reliability.png",
        )
        importance = fitted.model.importance(split.test)
        tracking.log_table(
            importance.rename("mean_abs_contribution_share").rename_axis("feature").reset_index(),
            "evaluation/feature_importance.csv",
        )
        tracking.log_figure(
            plots.feature_importance(importance, f"{job.registered_name}: feature importance"),
            "evaluation/feature_importance.png",
        )
        example = split.test[job.spec.columns].head(5).reset_index(drop=True)
        info = tracking.log_model(fitted.model, example, job.registered_name)
        version = str(info.registered_model_version)
        promotion = promote(
            MlflowClient(),
            job.registered_name,
            version,
            metrics["roc_auc"],
            champion_scorer(split.test, job.label),
            settings.ml.min_roc_auc,
        )
        mlflow.set_tags(
            {
                "registered_model": job.registered_name,
                "registered_version": version,
                "promotion": "champion" if promotion.promoted else "challenger",
                "promotion_reason": promotion.reason,
            }
        )
    return TrainResult(
        job.registered_name, active.info.run_id, version, metrics, promotion, split, p
    )
