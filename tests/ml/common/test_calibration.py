"""The calibrator choice follows out-of-fold Brier: Platt for a mis-scaled logistic model,
isotonic for a step-shaped truth that no logistic curve follows."""

from __future__ import annotations

import numpy as np
import pytest

from ml.common.calibration import choose, fit
from ml.common.metrics import brier


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def test_platt_wins_when_the_raw_scores_are_a_rescaled_logit() -> None:
    rng = np.random.default_rng(1)
    raw = rng.uniform(0.02, 0.98, 400)
    truth = 1 / (1 + np.exp(-(0.5 * _logit(raw) - 1.0)))  # over-confident and too high
    y = rng.random(400) < truth
    choice = choose(raw, y)
    assert choice.calibrator.method == "platt"
    assert choice.scores["platt"]["brier"] < choice.scores["isotonic"]["brier"]
    # the fit recovers the distortion it has to undo
    assert choice.calibrator.params["slope"] == pytest.approx(0.5, abs=0.2)


def test_isotonic_wins_when_the_truth_is_a_step() -> None:
    rng = np.random.default_rng(2)
    raw = rng.uniform(0.0, 1.0, 4000)
    truth = np.select([raw < 0.3, raw < 0.7], [0.05, 0.6], 0.65)  # jump, then flat
    y = rng.random(4000) < truth
    choice = choose(raw, y)
    assert choice.calibrator.method == "isotonic"
    assert choice.scores["isotonic"]["brier"] < choice.scores["platt"]["brier"]


def test_calibration_improves_brier_on_fresh_rows() -> None:
    rng = np.random.default_rng(3)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        raw = rng.uniform(0.02, 0.98, n)
        return raw, rng.random(n) < raw**3  # raw scores far too high

    raw, y = draw(2000)
    fresh_raw, fresh_y = draw(2000)
    for method in ("platt", "isotonic"):
        calibrated = fit(method, raw, y).transform(fresh_raw)
        assert brier(fresh_y, calibrated) < brier(fresh_y, fresh_raw) - 0.02
