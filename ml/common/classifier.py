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

#: Shallow trees and strong leaf minimums: the marts hold thousands of rows, not millions. The
#: tree depth is not here: `fit_classifier` chooses it from DEPTHS on the validation window.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "binary_logloss",
    "learning_rate": 0.03,
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
#: Tree depths tried, shallowest first. Depth 1 (stumps) boosts an additive log-odds model, the
#: least variance when signals act on their own; depth 2 can learn pairwise interactions. With a
#: few hundred positive rows the extra freedom costs more than it finds unless the data says so:
#: a deeper model must beat the shallowest one within a standard error on validation (the
#: one-standard-error rule) to be chosen.
DEPTHS = (1, 2)


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

    def importance(self) -> pd.Series:
        """Each feature's share of the booster's total split gain, by feature label."""
        gain = np.asarray(self.booster.feature_importance(importance_type="gain"), dtype=float)
        total = gain.sum()
        names = [self.spec.labels.get(column, column) for column in self.spec.columns]
        return pd.Series(gain / total if total > 0 else gain, index=names)

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
    best_iteration: int  # early-stopped rounds on the training window alone
    params: dict[str, Any]
    rounds: int  # rounds of the final booster (more when refitted on training + validation)
    valid_log_loss: dict[int, float] = field(default_factory=dict)  # tree depth -> log-loss


def _check_classes(label: str, parts: Mapping[str, pd.DataFrame]) -> None:
    for name, part in parts.items():
        positives = int(part[label].sum())
        if positives < 5 or positives > len(part) - 5:
            raise NotEnoughDataError(
                f"{name} window has {len(part)} rows and {positives} positive outcome(s) of "
                f"{label!r}; a model needs at least 5 of each class (more history needed)"
            )


@dataclass(frozen=True)
class _Fit:
    settings: dict[str, Any]
    booster: lgb.Booster
    best_iteration: int
    row_loss: np.ndarray  # log-loss of each validation row

    @property
    def depth(self) -> int:
        return int(self.settings.get("max_depth", -1))


def _boost(
    settings: dict[str, Any],
    train_set: lgb.Dataset,
    valid_set: lgb.Dataset,
    valid_x: pd.DataFrame,
    valid_y: np.ndarray,
) -> _Fit:
    """Boost with early stopping; the booster is cut at its best round."""
    booster = lgb.train(
        settings,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    best = booster.best_iteration or booster.current_iteration()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    p = np.clip(np.asarray(booster.predict(valid_x)), 1e-12, 1 - 1e-12)
    row_loss = -(valid_y * np.log(p) + (1 - valid_y) * np.log(1 - p))
    return _Fit(settings, booster, best, row_loss)


def _one_standard_error(fits: list[_Fit]) -> _Fit:
    """The first (shallowest) fit whose validation log-loss is within one standard error of the
    best one's (the error of the paired per-row difference)."""
    best = min(fits, key=lambda fit: float(fit.row_loss.mean()))
    for fit in fits:
        diff = fit.row_loss - best.row_loss
        if diff.mean() <= diff.std(ddof=1) / np.sqrt(len(diff)):
            return fit
    return best


def fit_classifier(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    label: str,
    spec: FeatureSpec,
    params: Mapping[str, Any] | None = None,
    refit: bool = True,
) -> FittedClassifier:
    """Boost on `train` with early stopping on `valid` (the tree depth chosen from DEPTHS by
    validation log-loss, one-standard-error rule, unless `params` sets it), calibrate on
    `valid`, then (with `refit`) boost again on train + valid for as many rounds per row and
    keep that calibrator.

    Refitting uses the latest months too, which matter most for the next ones; the calibrator
    learned on the first booster's held-out scores transfers because the rounds scale with the
    rows (the same regularisation path), which the evaluation window's ECE checks.
    """
    _check_classes(label, {"training": train, "validation": valid})
    base = {**DEFAULT_PARAMS, **(params or {})}
    given = "num_leaves" in base or "max_depth" in base
    candidates = [base] if given else [{**base, "max_depth": d, "num_leaves": 2**d} for d in DEPTHS]
    train_set = lgb.Dataset(spec.frame(train), train[label].astype(int), free_raw_data=False)
    valid_set = lgb.Dataset(spec.frame(valid), valid[label].astype(int), reference=train_set)
    valid_x, valid_y = spec.frame(valid), valid[label].to_numpy(dtype=int)
    fits = [_boost(c, train_set, valid_set, valid_x, valid_y) for c in candidates]
    chosen = _one_standard_error(fits)
    choice = choose(np.asarray(chosen.booster.predict(valid_x)), valid_y)
    booster, rounds = chosen.booster, chosen.best_iteration
    if refit:
        both = pd.concat([train, valid])
        rounds = max(1, round(rounds * len(both) / len(train)))
        both_set = lgb.Dataset(spec.frame(both), both[label].astype(int))
        booster = lgb.train(chosen.settings, both_set, num_boost_round=rounds)
    return FittedClassifier(
        CalibratedClassifier(booster, choice.calibrator, spec),
        choice,
        chosen.best_iteration,
        chosen.settings,
        rounds,
        {fit.depth: float(fit.row_loss.mean()) for fit in fits},
    )
