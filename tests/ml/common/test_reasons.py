"""Reason codes come from the learner's contributions, which add up to its log-odds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml.common.classifier import FeatureSpec, fit_classifier
from ml.common.reasons import (
    LOWERS,
    RAISES,
    Feature,
    about,
    count,
    money,
    percent,
    sentence,
    top_reasons,
)


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

    reasons = fitted.model.reasons(rows, DEFINITIONS)
    names = ["strong", "weak", "noise", "plan"]
    for row, texts in enumerate(reasons):
        effects = contributions[row, :4]
        ranked = np.argsort(-np.abs(effects), kind="stable")[:3]
        for text, column in zip(texts, ranked, strict=True):
            if effects[column] == 0:
                assert text is None
                continue
            mark = RAISES if effects[column] > 0 else LOWERS
            value = rows[names[column]].iloc[row]
            assert text == f"{mark} {sentence(DEFINITIONS, names[column], value)}"
    # the strongest driver leads most rows' reasons
    first = [t[0] for t in reasons if t[0]]
    assert sum("strong signal" in t for t in first) > len(first) / 2


DEFINITIONS = {
    "strong": Feature("Strong signal", lambda v: f"A strong signal of {v:.1f}"),
    "plan": Feature("Plan", lambda v: f"On the {v} plan"),
}


def test_a_reason_is_the_features_sentence_with_its_direction() -> None:
    contributions = np.array([[0.2, -0.9, 0.0, 0.5]])  # three features, then bias
    features = pd.DataFrame({"strong": [3.0], "plan": ["c"], "noise": [1.5]})
    texts = top_reasons(contributions, features, DEFINITIONS, k=3)
    assert texts == [["▼ On the c plan", "▲ A strong signal of 3.0", None]]


def test_an_undefined_feature_and_a_missing_value_still_read_as_text() -> None:
    assert sentence(DEFINITIONS, "open_cases", 2) == "Open cases: 2"
    assert sentence(DEFINITIONS, "open_cases", float("nan")) == "Open cases: unknown"


@pytest.mark.parametrize(
    ("value", "text"),
    [(1_264, "~1,300"), (45.4, "~45"), (7, "~7"), (98_765, "~99,000"), (0.5, "under 1")],
)
def test_sizes_read_as_a_person_says_them(value: float, text: str) -> None:
    assert about(value) == text


def test_money_counts_and_percentages() -> None:
    assert money(1035.4, "USD") == "$1,035" and money(-120, "EUR") == "-€120"
    assert money(2_000, "CHF") == "2,000 CHF"
    assert count(1, "visit", "visits") == "1 visit" and count(4.0, "visit", "visits") == "4 visits"
    assert percent(0.453) == "45%"
