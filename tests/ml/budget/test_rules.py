"""Each rule fires exactly on its condition, boundaries included."""

from __future__ import annotations

import pytest

from ml.budget.rules import Performance, RuleThresholds, decide


def perf(spend: float = 100.0, budget: float = 200.0, roas: float = 3.0, conv: float = 1.0):
    return Performance(spend=spend, budget=budget, revenue=roas * spend, conversions=conv)


@pytest.mark.parametrize(
    ("performance", "action"),
    [
        (perf(roas=4.01, spend=159.0), "increase"),  # ROAS > 4, spend < 80 % of 200
        (perf(roas=4.0, spend=100.0), "keep"),  # ROAS exactly 4 is not > 4
        (perf(roas=5.0, spend=160.0), "keep"),  # spend exactly 80 %: not under-spent
        (perf(roas=2.0), "keep"),  # ROAS exactly 2 is not < 2
        (perf(roas=1.99), "decrease"),
        (perf(roas=0.0, conv=0.0, spend=101.0), "pause"),  # > 50 % of budget, no conversions
        (perf(roas=0.0, conv=0.0, spend=100.0), "decrease"),  # exactly 50 %: ROAS rule instead
        (perf(roas=5.0, conv=0.0, spend=150.0), "pause"),  # revenue without conversions
        (perf(spend=0.0), "keep"),
    ],
)
def test_rule_boundaries(performance: Performance, action: str) -> None:
    assert decide(performance).action == action


def test_changes_follow_thresholds() -> None:
    custom = RuleThresholds(high_roas=3.0, increase=0.5, low_roas=1.0, decrease=0.1)
    assert decide(perf(roas=3.5), custom).change == 0.5
    assert decide(perf(roas=0.5), custom).change == -0.1
    assert decide(perf(roas=0.0, conv=0.0, spend=150.0)).change == -1.0
    assert decide(perf(roas=1.0)).change == pytest.approx(-0.3)
