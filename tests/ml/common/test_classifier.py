"""The classifier's fit: the additive model unless trees win clearly, refit on train + valid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.common.classifier import SELECTION_ERRORS, FeatureSpec, fit_classifier

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


def test_additive_signals_get_the_additive_model_and_an_interaction_gets_deeper_trees() -> None:
    additive = fit_classifier(_frame(1200, 1, False), _frame(500, 2, False), "y", SPEC)
    assert additive.learner == "additive"
    assert set(additive.valid_log_loss) == {"additive", "depth_1", "depth_2"}
    # a penalised likelihood fit refitted on the validation rows is not recalibrated on them
    assert additive.calibration.calibrator.method == "identity"
    # an interaction that neither additive model can express: depth 2 wins by far more
    crossed = fit_classifier(_frame(1200, 3, True), _frame(500, 4, True), "y", SPEC)
    assert crossed.learner == "lightgbm"
    assert crossed.params["max_depth"] == 2
    losses = crossed.valid_log_loss
    assert losses["depth_2"] < min(losses["additive"], losses["depth_1"]) - 0.05
    assert SELECTION_ERRORS >= 1


def test_trees_stop_early_on_the_training_window_and_refit_for_as_many_rounds_per_row() -> None:
    train, valid = _frame(1200, 5, True), _frame(400, 6, True)
    fitted = fit_classifier(train, valid, "y", SPEC)
    assert fitted.learner == "lightgbm"
    assert fitted.rounds == round(fitted.best_iteration * 1600 / 1200)
    assert fitted.model.learner.num_trees() == fitted.rounds
    held_only = fit_classifier(train, valid, "y", SPEC, refit=False)
    assert held_only.model.learner.num_trees() == held_only.best_iteration
    assert held_only.best_iteration == fitted.best_iteration


def test_given_depth_is_used_as_is() -> None:
    fitted = fit_classifier(
        _frame(800, 7, False), _frame(300, 8, False), "y", SPEC, {"num_leaves": 4, "max_depth": 2}
    )
    assert fitted.params["max_depth"] == 2
    assert list(fitted.valid_log_loss) == ["depth_2"]
    assert fitted.rounds == round(fitted.best_iteration * 1100 / 800)


def test_a_model_pickled_with_a_booster_attribute_still_scores() -> None:
    """Registered models from before the additive learner named their learner `booster`."""
    train, valid = _frame(800, 9, False), _frame(300, 10, False)
    model = fit_classifier(train, valid, "y", SPEC, {"num_leaves": 2, "max_depth": 1}).model
    state = dict(model.__dict__)
    state["booster"] = state.pop("learner")
    old = object.__new__(type(model))
    old.__setstate__(state)
    np.testing.assert_array_equal(old.probability(valid), model.probability(valid))


def test_importance_shares_rank_the_signals_above_the_noise() -> None:
    """a (|coefficient| 1.2) moves the log-odds more than b (0.8), both far more than noise,
    whichever learner wins."""
    fitted = fit_classifier(_frame(1200, 1, False), _frame(500, 2, False), "y", SPEC)
    importance = fitted.model.importance(_frame(500, 3, False))
    assert list(importance.index) == ["a", "b", "noise"]
    assert abs(importance.sum() - 1) < 1e-12
    assert importance["a"] > importance["b"] > 5 * importance["noise"]
