"""The shared model: LightGBM on point-in-time features, calibrated, with reason codes.

One object carries the booster, the calibrator and the feature spec, so the registered MLflow
model scores exactly as it was evaluated (calibration included).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from ml.common.calibration import CalibrationChoice, Calibrator, choose
from ml.common.errors import NotEnoughDataError
from ml.common.reasons import top_reasons

#: Shallow trees and strong leaf minimums: the marts hold thousands of rows, not millions.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 4,
    "max_depth": 2,
    "min_data_in_leaf": 30,
    "min_data_per_group": 30,
    "cat_smooth": 20.0,
    "lambda_l2": 5.0,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "seed": 7,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "verbosity": -1,
}
MAX_ROUNDS = 2_000
EARLY_STOPPING_ROUNDS = 100


@dataclass(frozen=True)
class FeatureSpec:
    """Model inputs: numeric columns, categorical columns with their levels, readable labels."""

    numeric: tuple[str, ...]
    categorical: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def frame(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model's input frame: its columns in order, categoricals on the fitted levels
        (an unseen level becomes missing, which LightGBM handles)."""
        missing = [c for c in self.columns if c not in data.columns]
        if missing:
            raise KeyError(f"feature column(s) missing: {', '.join(missing)}")
        out = pd.DataFrame(index=data.index)
        for name in self.numeric:
            out[name] = pd.to_numeric(data[name], errors="coerce").astype(float)
        for name, levels in self.categorical.items():
            out[name] = pd.Categorical(data[name].astype("string"), categories=list(levels))
        return out

    @classmethod
    def infer(
        cls,
        data: pd.DataFrame,
        numeric: tuple[str, ...],
        categorical: tuple[str, ...],
        labels: Mapping[str, str],
    ) -> FeatureSpec:
        """Levels of each categorical column as seen in `data` (sorted, so the spec is stable)."""
        levels = {
            name: tuple(sorted(data[name].dropna().astype(str).unique())) for name in categorical
        }
        return cls(numeric, levels, dict(labels))


class CalibratedClassifier(PythonModel):
    """LightGBM booster + calibrator + feature spec; `predict` gives calibrated probabilities."""

    def __init__(self, booster: lgb.Booster, calibrator: Calibrator, spec: FeatureSpec) -> None:
        self.booster = booster
        self.calibrator = calibrator
        self.spec = spec

    def raw_probability(self, data: pd.DataFrame) -> np.ndarray:
        """The booster's probability before calibration."""
        return np.asarray(self.booster.predict(self.spec.frame(data)))

    def probability(self, data: pd.DataFrame) -> np.ndarray:
        """Calibrated probability per row."""
        return self.calibrator.transform(self.raw_probability(data))

    def contributions(self, data: pd.DataFrame) -> np.ndarray:
        """Per-row log-odds contributions of each feature, bias in the last column."""
        return np.asarray(self.booster.predict(self.spec.frame(data), pred_contrib=True))

    def reasons(self, data: pd.DataFrame, k: int = 3) -> list[list[str | None]]:
        """Top-k reason codes per row, in the spec's readable labels."""
        frame = self.spec.frame(data)
        return top_reasons(self.contributions(data), frame, self.spec.labels, k)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> np.ndarray:
        return self.probability(model_input)


@dataclass(frozen=True)
class FittedClassifier:
    """A trained model and what its fit chose."""

    model: CalibratedClassifier
    calibration: CalibrationChoice
    best_iteration: int
    params: dict[str, Any]


def fit_classifier(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    label: str,
    spec: FeatureSpec,
    params: Mapping[str, Any] | None = None,
) -> FittedClassifier:
    """Boost on `train` with early stopping on `valid`, then calibrate on `valid`."""
    for name, part in (("training", train), ("validation", valid)):
        positives = int(part[label].sum())
        if positives < 5 or positives > len(part) - 5:
            raise NotEnoughDataError(
                f"{name} window has {len(part)} rows and {positives} positive outcome(s) of "
                f"{label!r}; a model needs at least 5 of each class (more history needed)"
            )
    settings = {**DEFAULT_PARAMS, **(params or {})}
    train_set = lgb.Dataset(spec.frame(train), train[label].astype(int), free_raw_data=False)
    valid_set = lgb.Dataset(spec.frame(valid), valid[label].astype(int), reference=train_set)
    booster = lgb.train(
        settings,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    best = booster.best_iteration or booster.current_iteration()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    raw_valid = np.asarray(booster.predict(spec.frame(valid)))
    choice = choose(raw_valid, valid[label].to_numpy(dtype=int))
    return FittedClassifier(
        CalibratedClassifier(booster, choice.calibrator, spec), choice, best, settings
    )
