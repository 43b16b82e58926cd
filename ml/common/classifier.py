"""The shared model: a penalised additive model or LightGBM on point-in-time features, chosen
on the validation window, calibrated, with reason codes.

One object carries the learner, the calibrator and the feature spec, so the registered MLflow
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

from ml.common.additive import AdditiveModel
from ml.common.calibration import CalibrationChoice, Calibrator, choose, uncalibrated
from ml.common.errors import NotEnoughDataError
from ml.common.reasons import Feature, top_reasons

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
#: Tree depths tried after the additive model. The additive model (ml.common.additive: a smooth
#: curve per numeric feature, a shrunk effect per level) has the least variance when signals act
#: on their own; depth-1 trees (stumps) boost an additive model too, in steps; depth 2 can learn
#: pairwise interactions. With a few hundred positive rows the extra freedom costs more than it
#: finds unless the data says so: a later candidate is chosen only when the simpler ones lose
#: to the best by more than SELECTION_ERRORS standard errors on validation.
DEPTHS = (1, 2)
#: Three, not one: the error of the paired per-row difference treats rows as independent, but
#: a panel's rows are not (an account's consecutive months, overlapping 3-month outcomes), and
#: the best of several candidates is flattered by the pick. On the sandbox worlds (additive
#: truths) a one-error rule switched to LightGBM on noise (by 1 to 2.3 errors) and lost on the
#: true probabilities each time; a real pairwise interaction wins by ten errors or more.
SELECTION_ERRORS = 3.0
ADDITIVE = "additive"
#: Latest share of the training rows that stops LightGBM's boosting while candidates are
#: compared: early stopping on the validation rows would flatter the boosters there.
STOPPING_SHARE = 0.25

Learner = lgb.Booster | AdditiveModel


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
    """Learner (LightGBM booster or additive model) + calibrator + feature spec; `predict`
    gives calibrated probabilities."""

    def __init__(self, learner: Learner, calibrator: Calibrator, spec: FeatureSpec) -> None:
        self.learner = learner
        self.calibrator = calibrator
        self.spec = spec

    def __setstate__(self, state: dict[str, Any]) -> None:
        # models registered before the additive learner existed stored it as `booster`
        if "booster" in state:
            state["learner"] = state.pop("booster")
        self.__dict__.update(state)

    def raw_probability(self, data: pd.DataFrame) -> np.ndarray:
        """The learner's probability before calibration."""
        return np.asarray(self.learner.predict(self.spec.frame(data)))

    def probability(self, data: pd.DataFrame) -> np.ndarray:
        """Calibrated probability per row."""
        return self.calibrator.transform(self.raw_probability(data))

    def importance(self, data: pd.DataFrame) -> pd.Series:
        """Each feature's share of the mean absolute log-odds contribution over `data`, by
        feature label: the same measure for both learners (and the one reason codes rank by)."""
        mean_abs = np.abs(self.contributions(data)[:, :-1]).mean(axis=0)
        total = mean_abs.sum()
        names = [self.spec.labels.get(column, column) for column in self.spec.columns]
        return pd.Series(mean_abs / total if total > 0 else mean_abs, index=names)

    def contributions(self, data: pd.DataFrame) -> np.ndarray:
        """Per-row log-odds contributions of each feature, bias in the last column."""
        return np.asarray(self.learner.predict(self.spec.frame(data), pred_contrib=True))

    def reasons(
        self, data: pd.DataFrame, definitions: Mapping[str, Feature], k: int = 3
    ) -> list[list[str | None]]:
        """Top-k reasons per row, each a sentence from the feature's definition (told with the
        row's own values: a level the model never saw still reads as itself)."""
        shown = data[self.spec.columns].reset_index(drop=True)
        return top_reasons(self.contributions(data), shown, definitions, k)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> np.ndarray:
        return self.probability(model_input)


@dataclass(frozen=True)
class FittedClassifier:
    """A trained model and what its fit chose."""

    model: CalibratedClassifier
    calibration: CalibrationChoice
    best_iteration: int  # boosting rounds on the training window alone (0: additive)
    params: dict[str, Any]  # LightGBM's, or the additive model's smoothing per feature
    rounds: int  # rounds of the final booster (more when refitted on training + validation)
    # validation log-loss per candidate: "additive", "depth_1", "depth_2"
    valid_log_loss: dict[str, float] = field(default_factory=dict)
    learner: str = "lightgbm"  # or ADDITIVE


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
    name: str  # ADDITIVE or depth_<d>
    settings: dict[str, Any]
    learner: Learner
    best_iteration: int
    row_loss: np.ndarray  # log-loss of each validation row


def _row_loss(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _additive(
    train: pd.DataFrame, label: str, spec: FeatureSpec, valid_x: pd.DataFrame, valid_y: np.ndarray
) -> _Fit:
    model = _fit_additive(train, label, spec)
    p = np.asarray(model.predict(valid_x))
    settings = {f"smoothing_{name}": value for name, value in model.smoothing.items()}
    return _Fit(ADDITIVE, settings, model, 0, _row_loss(p, valid_y))


def _fit_additive(rows: pd.DataFrame, label: str, spec: FeatureSpec) -> AdditiveModel:
    y = rows[label].to_numpy(dtype=float)
    return AdditiveModel().fit(spec.frame(rows), y, list(spec.numeric), list(spec.categorical))


def _stopped(
    settings: dict[str, Any], fit_set: lgb.Dataset, stop_set: lgb.Dataset
) -> tuple[lgb.Booster, int]:
    """Boost on `fit_set` with early stopping on `stop_set`; the booster cut at its best round,
    and that round."""
    booster = lgb.train(
        settings,
        fit_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[stop_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    best = int(booster.best_iteration or booster.current_iteration())
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best)), best


def _dataset(rows: pd.DataFrame, label: str, spec: FeatureSpec, **kwargs: Any) -> lgb.Dataset:
    return lgb.Dataset(spec.frame(rows), rows[label].astype(int), free_raw_data=False, **kwargs)


def _boost_on_valid(
    settings: dict[str, Any],
    train: pd.DataFrame,
    valid: pd.DataFrame,
    label: str,
    spec: FeatureSpec,
) -> _Fit:
    """Boost on `train`, stopped early on `valid` (the booster is cut at its best round)."""
    train_set = _dataset(train, label, spec)
    booster, rounds = _stopped(
        settings, train_set, _dataset(valid, label, spec, reference=train_set)
    )
    p = np.asarray(booster.predict(spec.frame(valid)))
    name = f"depth_{settings.get('max_depth', -1)}"
    return _Fit(name, settings, booster, rounds, _row_loss(p, valid[label].to_numpy(dtype=int)))


def _boost_unseen(
    settings: dict[str, Any],
    train: pd.DataFrame,
    valid: pd.DataFrame,
    label: str,
    spec: FeatureSpec,
) -> _Fit | None:
    """Boost on `train`, stopped early on its latest STOPPING_SHARE of rows (rounds then
    scaled to the whole window), so that `valid` judges it unseen, as the additive model. None
    when that split leaves too few of a class to stop on."""
    cut = len(train) - round(len(train) * STOPPING_SHARE)
    head, tail = train.iloc[:cut], train.iloc[cut:]
    if min(_class_counts(head, label) + _class_counts(tail, label)) < 5:
        return None
    head_set = _dataset(head, label, spec)
    _, stopped = _stopped(settings, head_set, _dataset(tail, label, spec, reference=head_set))
    rounds = max(1, round(stopped * len(train) / len(head)))
    booster = lgb.train(settings, _dataset(train, label, spec), num_boost_round=rounds)
    p = np.asarray(booster.predict(spec.frame(valid)))
    name = f"depth_{settings.get('max_depth', -1)}"
    return _Fit(name, settings, booster, rounds, _row_loss(p, valid[label].to_numpy(dtype=int)))


def _class_counts(rows: pd.DataFrame, label: str) -> tuple[int, int]:
    positives = int(rows[label].sum())
    return positives, len(rows) - positives


def _simplest_within_errors(fits: list[_Fit]) -> _Fit:
    """The first (simplest) fit whose validation log-loss is within SELECTION_ERRORS standard
    errors of the best one's (the error of the paired per-row difference)."""
    best = min(fits, key=lambda fit: float(fit.row_loss.mean()))
    for fit in fits:
        diff = fit.row_loss - best.row_loss
        if diff.mean() <= SELECTION_ERRORS * diff.std(ddof=1) / np.sqrt(len(diff)):
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
    """Fit the candidates on `train` (rows in time order) - the additive model, then LightGBM
    at each of DEPTHS stopped early on the latest rows of `train` - and keep the first within
    SELECTION_ERRORS standard errors of the best log-loss on `valid`, which none of them has
    seen; calibrate a booster on `valid`, then (with `refit`) fit the choice again on train +
    valid (a booster for as many rounds per row, keeping its calibrator). With `params` setting
    a depth, only LightGBM at that depth is fitted, stopped early on `valid`.

    Refitting uses the latest months too, which matter most for the next ones; a booster's
    calibrator learned on the first fit's held-out scores transfers because the rounds scale
    with the rows (the same regularisation path), which the evaluation window's ECE checks.
    The additive model gets no calibrator: its penalised likelihood fit is calibrated on its
    own rows, and after the refit the validation rows are among them.
    """
    _check_classes(label, {"training": train, "validation": valid})
    base = {**DEFAULT_PARAMS, **(params or {})}
    valid_x, valid_y = spec.frame(valid), valid[label].to_numpy(dtype=int)
    if "num_leaves" in base or "max_depth" in base:
        fits = [_boost_on_valid(base, train, valid, label, spec)]
    else:
        fits = [_additive(train, label, spec, valid_x, valid_y)]
        for depth in DEPTHS:
            settings = {**base, "max_depth": depth, "num_leaves": 2**depth}
            fit = _boost_unseen(settings, train, valid, label, spec)
            fits += [fit] if fit is not None else []
    chosen = _simplest_within_errors(fits)
    held_out = np.asarray(chosen.learner.predict(valid_x))
    choice = (uncalibrated if chosen.name == ADDITIVE else choose)(held_out, valid_y)
    learner, rounds = chosen.learner, chosen.best_iteration
    if refit:
        both = pd.concat([train, valid])
        if chosen.name == ADDITIVE:
            learner = _fit_additive(both, label, spec)
        else:
            rounds = max(1, round(rounds * len(both) / len(train)))
            learner = lgb.train(
                chosen.settings, _dataset(both, label, spec), num_boost_round=rounds
            )
    return FittedClassifier(
        CalibratedClassifier(learner, choice.calibrator, spec),
        choice,
        chosen.best_iteration,
        chosen.settings,
        rounds,
        {fit.name: float(fit.row_loss.mean()) for fit in fits},
        ADDITIVE if chosen.name == ADDITIVE else "lightgbm",
    )
