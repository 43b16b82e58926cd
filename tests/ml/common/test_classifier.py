"""The classifier's fit: tree depth by the one-standard-error rule, refit on train + validation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.common.classifier import FeatureSpec, fit_classifier

SPEC = FeatureSpec(numeric=("a", "b", "noise"))


def _frame(n: int, seed: int, interaction: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=n) for name in SPEC.numeric})
    if interaction:  # the sign of a x b: no single feature says anything on its own
        logit = 2.5 * np.sign(frame["a"] * frame["b"])
    else:
        logit = -0.5 + 1.2 * frame["a"] - 0.8 * frame["b"]
    frame["y"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return frame


def test_additive_signals_get_stumps_and_an_interaction_gets_deeper_trees() -> None:
    additive = fit_classifier(_frame(1200, 1, False), _frame(500, 2, False), "y", SPEC)
    assert additive.params["max_depth"] == 1
    # an interaction that stumps cannot express at all: depth 2 wins by far more than an error
    crossed = fit_classifier(_frame(1200, 3, True), _frame(500, 4, True), "y", SPEC)
    assert crossed.params["max_depth"] == 2
    assert crossed.valid_log_loss[2] < crossed.valid_log_loss[1] - 0.05


def test_refit_boosts_train_plus_valid_for_as_many_rounds_per_row() -> None:
    train, valid = _frame(1200, 5, False), _frame(400, 6, False)
    fitted = fit_classifier(train, valid, "y", SPEC)
    assert fitted.rounds == round(fitted.best_iteration * 1600 / 1200)
    assert fitted.model.booster.num_trees() == fitted.rounds
    held_only = fit_classifier(train, valid, "y", SPEC, refit=False)
    assert held_only.model.booster.num_trees() == held_only.best_iteration == fitted.best_iteration


def test_given_depth_is_used_as_is() -> None:
    fitted = fit_classifier(
        _frame(800, 7, False), _frame(300, 8, False), "y", SPEC, {"num_leaves": 4, "max_depth": 2}
    )
    assert fitted.params["max_depth"] == 2
    assert list(fitted.valid_log_loss) == [2]


def test_importance_shares_rank_the_signals_above_the_noise() -> None:
    """a (|coefficient| 1.2) carries more gain than b (0.8), both far more than pure noise."""
    fitted = fit_classifier(_frame(1200, 1, False), _frame(500, 2, False), "y", SPEC)
    importance = fitted.model.importance()
    assert list(importance.index) == ["a", "b", "noise"]
    assert abs(importance.sum() - 1) < 1e-12
    assert importance["a"] > importance["b"] > 5 * importance["noise"]
