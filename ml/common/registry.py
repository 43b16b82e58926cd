"""Model registry and the promotion rule: new versions are `challenger`; a challenger becomes
`champion` only if it beats the champion on the challenger's own evaluation window and clears
the minimum ROC-AUC."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ml.common.errors import NoChampionError

CHALLENGER = "challenger"
CHAMPION = "champion"


@dataclass(frozen=True)
class Promotion:
    """What the rule decided for one new model version, and why."""

    name: str
    version: str
    challenger_auc: float
    champion_version: str | None
    champion_auc: float | None
    promoted: bool
    reason: str


def decide(challenger_auc: float, champion_auc: float | None, min_auc: float) -> tuple[bool, str]:
    """The rule itself: clear the minimum, then beat the champion (strictly) on the same rows."""
    if not challenger_auc >= min_auc:
        return False, f"ROC-AUC {challenger_auc:.4f} is below the minimum {min_auc:.2f}"
    if champion_auc is None:
        return True, f"ROC-AUC {challenger_auc:.4f} clears {min_auc:.2f}; no champion yet"
    if math.isnan(champion_auc):
        return True, (
            f"ROC-AUC {challenger_auc:.4f} clears {min_auc:.2f}; the champion cannot score "
            "this window (its input columns are gone)"
        )
    if challenger_auc > champion_auc:
        return True, (
            f"ROC-AUC {challenger_auc:.4f} beats the champion's {champion_auc:.4f} "
            "on the same window"
        )
    return False, (
        f"ROC-AUC {challenger_auc:.4f} does not beat the champion's {champion_auc:.4f} "
        "on the same window"
    )


def alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    """The version holding an alias, or None (also when the model is not registered)."""
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def promote(
    client: MlflowClient,
    name: str,
    version: str,
    challenger_auc: float,
    champion_auc_on_window: Callable[[Any], float],
    min_auc: float,
) -> Promotion:
    """Make `version` the challenger, apply the rule, and move `champion` if it wins.

    `champion_auc_on_window` re-scores the loaded champion model on the challenger's
    evaluation rows, so both AUCs come from the same window."""
    client.set_registered_model_alias(name, CHALLENGER, version)
    champion = alias_version(client, name, CHAMPION)
    champion_auc = None
    if champion is not None and champion != version:
        model = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
        champion_auc = float(champion_auc_on_window(model))
    promoted, reason = decide(challenger_auc, champion_auc, min_auc)
    if promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
        client.delete_registered_model_alias(name, CHALLENGER)
    for key, value in {
        "promotion": "champion" if promoted else "challenger",
        "promotion_reason": reason,
        "evaluation_roc_auc": f"{challenger_auc:.6f}",
        "champion_roc_auc_same_window": "" if champion_auc is None else f"{champion_auc:.6f}",
    }.items():
        client.set_model_version_tag(name, version, key, value)
    return Promotion(name, version, challenger_auc, champion, champion_auc, promoted, reason)


@dataclass(frozen=True)
class ServingModel:
    """The champion as loaded for scoring, with where it came from."""

    name: str
    version: str
    run_id: str
    model: Any  # the unwrapped python model (e.g. CalibratedClassifier)


def load_champion(name: str, client: MlflowClient | None = None) -> ServingModel:
    """The registered model's champion, or NoChampionError with what to do."""
    client = client or MlflowClient()
    try:
        version = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        raise NoChampionError(
            f"model {name!r} has no champion: train it (`mdp train`) and check that a version "
            "cleared the promotion rule (see the version's 'promotion_reason' tag in MLflow)"
        ) from None
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@{CHAMPION}")
    return ServingModel(
        name, str(version.version), str(version.run_id), loaded.unwrap_python_model()
    )
