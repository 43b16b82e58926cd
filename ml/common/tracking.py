"""MLflow from mdp settings: one experiment per model, runs with params, metrics, plots, model."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from mlflow.pyfunc import PythonModel

from mdp.settings import Settings, get_settings

EXPERIMENT_PREFIX = "mdp-"
#: The model's runtime needs, stated instead of letting MLflow infer them in a subprocess.
PIP_REQUIREMENTS = ["lightgbm", "scikit-learn", "scipy", "pandas", "numpy"]


def configure(settings: Settings | None = None) -> str:
    """Point MLflow (tracking and registry) at mdp's store; create the local folders."""
    settings = settings or get_settings()
    uri = settings.mlflow_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        settings.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def experiment_name(model: str) -> str:
    return f"{EXPERIMENT_PREFIX}{model}"


def use_experiment(model: str, settings: Settings | None = None) -> str:
    """Make the model's experiment current (created on first use); returns its id.

    With the local SQLite store, artifacts go to <home>/mlflow/artifacts/<experiment>."""
    settings = settings or get_settings()
    configure(settings)
    name = experiment_name(model)
    found = mlflow.get_experiment_by_name(name)
    if found is None:
        location = None
        if settings.mlflow_uri.startswith("sqlite:///"):
            location = (settings.mlflow_artifacts / name).as_uri()
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = found.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return str(experiment_id)


def key_part(text: str) -> str:
    """A name (channel, series ...) as one part of an MLflow metric key: 'Paid Search' ->
    'paid_search'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "all"


def log_params(params: Mapping[str, Any]) -> None:
    """Log parameters (values as text, MLflow's limit of 6000 characters each)."""
    mlflow.log_params({key: str(value)[:6000] for key, value in params.items()})


def log_metrics(metrics: Mapping[str, float], prefix: str = "") -> None:
    """Log finite metrics, optionally prefixed (e.g. 'test_')."""
    clean = {f"{prefix}{k}": float(v) for k, v in metrics.items() if pd.notna(v)}
    mlflow.log_metrics(clean)


def log_table(frame: pd.DataFrame, artifact_file: str) -> None:
    """A small table as a CSV artifact (e.g. lift by decile)."""
    mlflow.log_text(frame.to_csv(index=False), artifact_file)


def log_figure(figure: Any, artifact_file: str) -> None:
    """A matplotlib figure as a PNG artifact (MLflow's log_figure), then free it."""
    import matplotlib.pyplot as plt

    mlflow.log_figure(figure, artifact_file)
    plt.close(figure)


def log_model(
    python_model: PythonModel,
    example: pd.DataFrame,
    registered_name: str | None = None,
) -> Any:
    """Log a pyfunc model with its signature (inferred from `example`) and an input example;
    register it as a new version of `registered_name` when given. Returns the ModelInfo."""
    output = python_model.predict(None, example)
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=python_model,
        signature=infer_signature(example, output),
        input_example=example,
        registered_model_name=registered_name,
        pip_requirements=PIP_REQUIREMENTS,
    )
