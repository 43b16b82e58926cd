"""Promotion: a new version is challenger; it becomes champion only when it beats the champion
on the same window and clears the minimum ROC-AUC. Uses a throw-away SQLite MLflow store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.models import infer_signature

from ml.common.errors import NoChampionError
from ml.common.metrics import roc_auc
from ml.common.registry import CHALLENGER, CHAMPION, alias_version, decide, load_champion, promote

NAME = "mdp_test_model"


class Weighted(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Scores w_x * x + w_z * z: which signals a version sees decides how good it is."""

    def __init__(self, w_x: float, w_z: float) -> None:
        self.w_x, self.w_z = w_x, w_z

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        return np.asarray(self.w_x * model_input["x"] + self.w_z * model_input["z"])


@pytest.fixture
def client(tmp_path: Path) -> Iterator[MlflowClient]:
    previous = mlflow.get_tracking_uri()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("registry-test", (tmp_path / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=experiment)
    yield MlflowClient()
    mlflow.set_tracking_uri(previous)
    mlflow.set_registry_uri(previous)


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    """The evaluation window: y depends on x and z equally."""
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(2, 3000))
    y = rng.random(3000) < 1 / (1 + np.exp(-(1.5 * x + 1.5 * z)))
    return pd.DataFrame({"x": x, "z": z, "y": y})


def _register_and_promote(window: pd.DataFrame, model: Weighted, min_auc: float = 0.6) -> Any:
    features = window[["x", "z"]]
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=model,
            signature=infer_signature(features, model.predict(None, features)),
            registered_model_name=NAME,
            pip_requirements=[],
        )
    auc = roc_auc(window["y"].to_numpy(), model.predict(None, features))

    def rescore(champion: Any) -> float:
        return roc_auc(window["y"].to_numpy(), np.asarray(champion.predict(features)))

    return promote(MlflowClient(), NAME, str(info.registered_model_version), auc, rescore, min_auc)


def test_promotion_rule(client: MlflowClient, window: pd.DataFrame) -> None:
    with pytest.raises(NoChampionError, match="no champion"):
        load_champion(NAME, client)

    first = _register_and_promote(window, Weighted(1.0, 0.0))  # sees x only
    assert first.promoted and first.champion_auc is None
    assert alias_version(client, NAME, CHAMPION) == "1"

    worse = _register_and_promote(window, Weighted(1.0, -0.5))  # z with the wrong sign
    assert not worse.promoted
    assert worse.champion_auc == pytest.approx(first.challenger_auc)  # re-scored, same rows
    assert worse.challenger_auc < worse.champion_auc
    assert alias_version(client, NAME, CHAMPION) == "1"
    assert alias_version(client, NAME, CHALLENGER) == "2"

    below_minimum = _register_and_promote(window, Weighted(1.0, 1.0), min_auc=0.99)
    assert not below_minimum.promoted and "below the minimum" in below_minimum.reason
    assert alias_version(client, NAME, CHAMPION) == "1"

    better = _register_and_promote(window, Weighted(1.0, 1.0))  # sees both signals
    assert better.promoted and better.challenger_auc > better.champion_auc
    assert alias_version(client, NAME, CHAMPION) == "4"
    assert alias_version(client, NAME, CHALLENGER) is None
    assert client.get_model_version(NAME, "2").tags["promotion"] == "challenger"
    assert load_champion(NAME, client).version == "4"


@pytest.mark.parametrize(
    ("challenger", "champion", "expected"),
    [(0.80, None, True), (0.74, None, False), (0.80, 0.80, False), (0.81, 0.80, True)],
)
def test_decide(challenger: float, champion: float | None, expected: bool) -> None:
    assert decide(challenger, champion, 0.75)[0] is expected
