"""Probability calibration: Platt (logistic on log-odds) or isotonic, chosen on held-out rows
(or none, for a learner that is calibrated by its fit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from ml.common.metrics import brier, log_loss

Method = Literal["platt", "isotonic", "identity"]
METHODS: tuple[Method, ...] = ("platt", "isotonic")  # the ones `choose` picks from
_EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass
class Calibrator:
    """A fitted monotone map from raw model probabilities to calibrated ones."""

    method: Method
    params: dict[str, Any] = field(default_factory=dict)

    def transform(self, p: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw probabilities `p`."""
        if self.method == "identity":
            return np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        if self.method == "platt":
            z = self.params["slope"] * _logit(p) + self.params["intercept"]
            return 1.0 / (1.0 + np.exp(-z))
        x, y = np.asarray(self.params["x"]), np.asarray(self.params["y"])
        return np.clip(np.interp(np.asarray(p, dtype=float), x, y), 0.0, 1.0)


def fit(method: Method, p: np.ndarray, y: np.ndarray) -> Calibrator:
    """Fit one calibration method on raw probabilities and outcomes."""
    y = np.asarray(y, dtype=int)
    if method == "platt":
        # large C: plain maximum likelihood; the identity map is the special case (1, 0)
        model = LogisticRegression(C=1e6).fit(_logit(p)[:, None], y)
        return Calibrator(
            "platt", {"slope": float(model.coef_[0, 0]), "intercept": float(model.intercept_[0])}
        )
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    return Calibrator(
        "isotonic",
        {"x": iso.X_thresholds_.astype(float).tolist(), "y": iso.y_thresholds_.tolist()},
    )


@dataclass(frozen=True)
class CalibrationChoice:
    """The chosen calibrator and the cross-validated scores that chose it."""

    calibrator: Calibrator
    scores: dict[str, dict[str, float]]  # method -> {"brier": ..., "log_loss": ...}


def choose(p: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> CalibrationChoice:
    """Pick Platt or isotonic by out-of-fold Brier score on the validation rows (log-loss breaks
    ties), then refit the winner on all of them.

    Scoring a calibrator on the rows it was fitted on would always favour isotonic (it can
    memorise them), hence the folds.
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=int)
    fold = np.random.default_rng(seed).permutation(len(p)) % folds
    scores: dict[str, dict[str, float]] = {}
    for method in METHODS:
        out = np.empty(len(p))
        for k in range(folds):
            held = fold == k
            out[held] = fit(method, p[~held], y[~held]).transform(p[held])
        scores[method] = {"brier": brier(y, out), "log_loss": log_loss(y, out)}
    best = min(METHODS, key=lambda m: (scores[m]["brier"], scores[m]["log_loss"]))
    return CalibrationChoice(fit(best, p, y), scores)


def uncalibrated(p: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> CalibrationChoice:
    """No calibrator (the identity map), with the scores `choose` would have compared, for a
    learner whose fit is calibrated on its own rows: a penalised likelihood refitted on the
    validation rows would count them twice if a calibrator learned on them were added."""
    return CalibrationChoice(Calibrator("identity"), choose(p, y, folds, seed).scores)
