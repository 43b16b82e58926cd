"""Reason codes come from the learner's contributions, which add up to its log-odds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml.common.classifier import FeatureSpec, fit_classifier
from ml.common.reasons import top_reasons


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "strong": rng.normal(size=n),
            "weak": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "plan": rng.choice(["a", "b", "c"], size=n),
        }
    )
    logit = -1.0 + 2.0 * frame["strong"] + 0.5 * frame["weak"] + (frame["plan"] == "c") * 1.0
    frame["y"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return frame


SPEC = FeatureSpec(
    numeric=("strong", "weak", "noise"),
    categorical={"plan": ("a", "b", "c")},
    labels={"strong": "Strong signal", "plan": "Plan"},
)


@pytest.mark.parametrize(
    ("params", "learner"), [(None, "additive"), ({"max_depth": 1, "num_leaves": 2}, "lightgbm")]
)
def test_contributions_sum_to_the_raw_log_odds_and_reasons_follow_them(
    params: dict[str, Any] | None, learner: str
) -> None:
    fitted = fit_classifier(_frame(1500, 1), _frame(600, 2), "y", SPEC, params)
    assert fitted.learner == learner
    rows = _frame(50, 3)
    contributions = fitted.model.contributions(rows)
    raw = fitted.model.learner.predict(SPEC.frame(rows), raw_score=True)
    np.testing.assert_allclose(contributions.sum(axis=1), raw, atol=1e-9)

    reasons = fitted.model.reasons(rows)
    labels = ["Strong signal", "weak", "noise", "Plan"]
    for row, texts in enumerate(reasons):
        effects = contributions[row, :4]
        ranked = np.argsort(-np.abs(effects), kind="stable")[:3]
        for text, column in zip(texts, ranked, strict=True):
            if effects[column] == 0:
                assert text is None
                continue
            assert text is not None and text.startswith(labels[column] + " = ")
            assert text.endswith("(raises)" if effects[column] > 0 else "(lowers)")
    # the strongest driver leads most rows' reasons
    first = [t[0] for t in reasons if t[0]]
    assert sum(t.startswith("Strong signal") for t in first) > len(first) / 2


def test_reason_text_shows_the_value_and_direction() -> None:
    contributions = np.array([[0.2, -0.9, 0.0, 0.5]])  # two features, then bias
    features = pd.DataFrame({"a": [3.0], "b": ["x"], "c": [1.5]})
    texts = top_reasons(contributions, features, {"a": "Visits"}, k=3)
    assert texts == [["b = x (lowers)", "Visits = 3 (raises)", None]]
