"""Models without a classifier's registry (attribution, LTV, forecast, budget): a training run
logs its fitted state as one JSON artifact, and scoring serves the latest finished training run
of the model's experiment; the state's content hash is the model version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow import MlflowClient

from mdp.settings import Settings
from ml.common import tracking
from ml.common.errors import NoTrainingRunError
from ml.common.registry import ServingModel

STATE_ARTIFACT = "model/state.json"
RUN_KIND_TAG = "mdp_run_kind"
VERSION_TAG = "mdp_model_version"
TRAIN = "train"


@dataclass(frozen=True)
class FitRun:
    """What `mdp train` reports for one such model (the fields the CLI and DAG read)."""

    registered_name: str  # the catalogue name; nothing is registered, the name is the key
    run_id: str
    version: str
    metrics: dict[str, float]
    summary: str  # one line for the CLI table


def state_text(state: Mapping[str, Any]) -> str:
    """Canonical JSON (sorted keys, exact float repr), so equal states have equal text."""
    return json.dumps(state, sort_keys=True, default=str, indent=1)


def state_version(state: Mapping[str, Any]) -> str:
    """The version of a fitted state: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(state_text(state).encode()).hexdigest()[:12]


def log_state(state: Mapping[str, Any]) -> str:
    """Log the fitted state to the active run, tag the run as a training run; its version."""
    version = state_version(state)
    mlflow.log_text(state_text(state), STATE_ARTIFACT)
    mlflow.set_tags({RUN_KIND_TAG: TRAIN, VERSION_TAG: version})
    return version


def log_fit(
    model: str,
    settings: Settings,
    *,
    params: Mapping[str, Any],
    metrics: dict[str, float],
    state: Mapping[str, Any],
    summary: str,
    artifacts: Callable[[], None] = lambda: None,
) -> FitRun:
    """One training run in the model's experiment: params, metrics, the run's tables and plots
    (`artifacts`, called inside the run), then the fitted state that scoring serves."""
    tracking.use_experiment(model, settings)
    with mlflow.start_run(run_name=model) as active:
        tracking.log_params(params)
        tracking.log_metrics(metrics)
        artifacts()
        version = log_state(state)
    return FitRun(model, active.info.run_id, version, metrics, summary)


def latest_state(model: str, settings: Settings) -> ServingModel:
    """The state of the model's latest finished training run, as a ServingModel whose `model`
    is the state dict; NoTrainingRunError when there is none."""
    tracking.configure(settings)
    name = tracking.experiment_name(model)
    experiment = mlflow.get_experiment_by_name(name)
    runs = (
        []
        if experiment is None
        else MlflowClient().search_runs(
            [experiment.experiment_id],
            filter_string=f"attributes.status = 'FINISHED' and tags.{RUN_KIND_TAG} = '{TRAIN}'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
    )
    if not runs:
        raise NoTrainingRunError(
            f"model {model!r} has no finished training run in MLflow experiment {name!r}: "
            f"run `mdp train {model}` first"
        )
    run = runs[0]
    text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/{STATE_ARTIFACT}")
    return ServingModel(model, run.data.tags[VERSION_TAG], run.info.run_id, json.loads(text))
