"""The additive model: recovers smooth and categorical effects, shrinks what the data do not
support, adds up its contributions, and copes with gaps and unseen levels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.common.additive import AdditiveModel, signed_log1p
from ml.common.classifier import FeatureSpec

SPEC = FeatureSpec(
    numeric=("size", "visits", "noise"),
    categorical={"plan": ("a", "b", "c")},
)
PLAN_EFFECT = {"a": -0.6, "b": 0.0, "c": 0.6}


def _size_effect(size: np.ndarray) -> np.ndarray:
    """An inverted U in log size (no monotone or linear feature can express it)."""
    z = (np.log(size) - 5.0) / 1.2
    return 0.8 * z - 0.7 * z**2


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "size": np.exp(rng.normal(5.0, 1.2, n)),
            "visits": rng.poisson(3.0, n).astype(float),
            "noise": rng.normal(0.0, 1.0, n),
            "plan": rng.choice(list(PLAN_EFFECT), n),
        }
    )
    logit = (
        -1.0
        + _size_effect(frame["size"].to_numpy())
        + 0.9 * np.log1p(frame["visits"].to_numpy())
        + frame["plan"].map(PLAN_EFFECT).to_numpy()
    )
    frame["y"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return frame


def _fit(frame: pd.DataFrame) -> AdditiveModel:
    return AdditiveModel().fit(
        SPEC.frame(frame), frame["y"].to_numpy(float), list(SPEC.numeric), list(SPEC.categorical)
    )


def test_effects_are_recovered_and_an_unrelated_feature_is_shrunk() -> None:
    train = _frame(4_000, 1)
    model = _fit(train)
    rows = _frame(2_000, 2)
    contributions = model.predict(SPEC.frame(rows), pred_contrib=True)
    size, visits, noise, plan = contributions[:, :4].T
    true_size = _size_effect(rows["size"].to_numpy())
    assert np.corrcoef(size, true_size)[0, 1] > 0.95
    assert np.corrcoef(visits, np.log1p(rows["visits"].to_numpy()))[0, 1] > 0.95
    assert np.std(noise) < 0.1 * np.std(true_size)
    by_plan = pd.Series(plan).groupby(rows["plan"].to_numpy()).mean()
    assert by_plan["a"] < by_plan["b"] < by_plan["c"]
    assert abs((by_plan["c"] - by_plan["a"]) - 1.2) < 0.3
    # a straight line in the transformed feature costs nothing: visits' is (nearly) one
    assert model.smoothing["visits"] > 100 * model.smoothing["size"]


def test_contributions_add_up_and_fitted_rows_are_calibrated_in_the_large() -> None:
    train = _frame(3_000, 3)
    model = _fit(train)
    x = SPEC.frame(train)
    contributions = model.predict(x, pred_contrib=True)
    assert contributions.shape == (len(train), len(SPEC.columns) + 1)
    np.testing.assert_allclose(contributions.sum(axis=1), model.predict(x, raw_score=True))
    np.testing.assert_allclose(contributions[:, :-1].mean(axis=0), 0.0, atol=1e-9)
    p = model.predict(x)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-model.predict(x, raw_score=True))))
    # the intercept is unpenalised: the fitted probabilities sum to the positives
    assert abs(p.sum() - train["y"].sum()) < 1e-3 * len(train)


def test_missing_values_unseen_levels_and_out_of_range_values_are_scored() -> None:
    train = _frame(2_000, 4)
    train.loc[train.index[::10], "visits"] = np.nan
    model = _fit(train)
    rows = _frame(5, 5)
    rows["visits"] = [np.nan, 0.0, 3.0, 1e6, -1.0]
    rows["plan"] = ["zzz", "a", "b", "c", "a"]
    contributions = model.predict(SPEC.frame(rows), pred_contrib=True)
    p = model.predict(SPEC.frame(rows))
    assert np.isfinite(contributions).all() and ((p > 0) & (p < 1)).all()
    plan = contributions[:, 3]
    assert plan[0] == -model.term_means["plan"]  # an unseen level has no effect of its own
    # beyond the fitted range the curve stays at its end value
    visits = contributions[:, 1]
    top = model.predict(SPEC.frame(rows.assign(visits=train["visits"].max())), pred_contrib=True)
    assert visits[3] == top[3, 1]
    assert signed_log1p(np.array([-1.0]))[0] < 0
