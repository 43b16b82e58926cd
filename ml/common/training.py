"""One training run, the same for every classifier: time split, fit, calibrate, evaluate on the
latest window, log everything to MLflow, register, apply the promotion rule."""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)

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
        if missing := [n for n in names if n not in test.columns]:
            log.warning("the champion needs columns the data no longer has: %s", missing)
            return float("nan")  # cannot be scored on this window: the rule says what then
        return roc_auc(test[label].to_numpy(), np.asarray(champion.predict(test[names])))

    return score


@dataclass(frozen=True)
class SkippedTraining:
    """A model that did not train because its data is too thin: what `mdp train` and the
    Airflow task report, and what its MLflow run (status FINISHED, tag mdp.outcome=skipped)
    says."""

    registered_name: str
    run_id: str
    reason: str


#: MLflow tags of a training run's outcome (the run's note shows the reason in the UI).
OUTCOME_TAG, REASON_TAG, NOTE_TAG = "mdp.outcome", "mdp.skip_reason", "mlflow.note.content"


def run(job: TrainingJob, settings: Settings) -> TrainResult | SkippedTraining:
    """Train, evaluate, log, register and apply the promotion rule for one model. A model whose
    data is too thin is not an error: its run records why (FINISHED, tagged skipped) and the
    caller gets a SkippedTraining."""
    tracking.use_experiment(job.experiment, settings)
    with mlflow.start_run(run_name=job.registered_name) as active:
        tracking.log_params({**job.run_params, "target": job.label, "rows": len(job.frame)})
        try:
            # the classifier stops its boosting on the training window's latest rows: keep order
            frame = job.frame.sort_values(job.time_column, kind="stable")
            split = time_split(frame, job.time_column)
            result = _train(job, split, settings, active.info.run_id)
        except NotEnoughDataError as error:
            reason = f"{job.registered_name} skipped: {error}"
            mlflow.set_tags(
                {
                    OUTCOME_TAG: "skipped",
                    REASON_TAG: str(error)[:5000],
                    NOTE_TAG: reason,
                    "registered_model": job.registered_name,
                }
            )
            return SkippedTraining(job.registered_name, active.info.run_id, reason)
    return result


def _check_classes(job: TrainingJob, split: TimeSplit) -> np.ndarray:
    test_y = split.test[job.label].to_numpy(dtype=bool)
    positives = int(test_y.sum())
    if not 0 < positives < len(test_y):
        raise NotEnoughDataError(
            f"the evaluation window ({len(test_y)} rows from {split.test_start.date()}) has "
            f"only one class of {job.label!r}; more history is needed"
        )
    return test_y


def _train(job: TrainingJob, split: TimeSplit, settings: Settings, run_id: str) -> TrainResult:
    test_y = _check_classes(job, split)
    fitted = fit_classifier(split.train, split.valid, job.label, job.spec, job.lgbm_params)
    p = fitted.model.probability(split.test)
    metrics = classification_metrics(test_y, p)
    tracking.log_params(
        {
            "rows_train": len(split.train),
            "rows_valid": len(split.valid),
            "rows_test": len(split.test),
            "positives_test": int(test_y.sum()),
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
            OUTCOME_TAG: "trained",
            "registered_model": job.registered_name,
            "registered_version": version,
            "promotion": "champion" if promotion.promoted else "challenger",
            "promotion_reason": promotion.reason,
            NOTE_TAG: f"{job.registered_name} v{version}: {promotion.reason}",
        }
    )
    return TrainResult(job.registered_name, run_id, version, metrics, promotion, split, p)
