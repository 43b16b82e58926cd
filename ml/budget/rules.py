"""Rule baseline: scale up high-ROAS under-spenders, cut low ROAS, pause spend without results."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleThresholds:
    """Thresholds of the three rules; budget and spend cover the same look-back window."""

    high_roas: float = 4.0
    underspent_share: float = 0.8  # spend below this share of budget counts as under-spent
    increase: float = 0.20
    low_roas: float = 2.0
    decrease: float = 0.30
    pause_spend_share: float = 0.5


@dataclass(frozen=True)
class Performance:
    """A campaign over the look-back window."""

    spend: float
    budget: float
    revenue: float
    conversions: float


@dataclass(frozen=True)
class Decision:
    """What a rule says: the action, the relative change of spend and why."""

    action: str
    change: float
    reason: str


def decide(p: Performance, t: RuleThresholds = RuleThresholds()) -> Decision:
    """The first rule that fires, checked pause -> decrease -> increase.

    Pause comes first: a campaign without conversions also has ROAS 0 < 2, so checking the
    ROAS cut first (as the original wish list ordered them) would never let pause fire.
    """
    if p.spend <= 0:
        return Decision("keep", 0.0, "no spend in the window")
    roas = p.revenue / p.spend
    if p.conversions == 0 and p.spend > t.pause_spend_share * p.budget:
        return Decision(
            "pause",
            -1.0,
            f"no conversions after spending {p.spend / p.budget:.0%} of budget "
            f"(> {t.pause_spend_share:.0%})",
        )
    if roas < t.low_roas:
        return Decision("decrease", -t.decrease, f"ROAS {roas:.2f} < {t.low_roas:g}")
    if roas > t.high_roas and p.spend < t.underspent_share * p.budget:
        return Decision(
            "increase",
            t.increase,
            f"ROAS {roas:.2f} > {t.high_roas:g} and spend {p.spend / p.budget:.0%} of budget "
            f"(< {t.underspent_share:.0%})",
        )
    return Decision("keep", 0.0, f"ROAS {roas:.2f}, no rule fired")
