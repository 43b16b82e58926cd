"""How well estimated channel credits rank channels against known incremental effects."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import kendalltau, spearmanr


@dataclass(frozen=True)
class RankAgreement:
    """Rank correlations over the channels both series hold, and whether the order is equal."""

    channels: int
    spearman: float
    kendall: float
    same_order: bool
    misordered: list[tuple[str, str]]  # (truly higher, estimated higher) pairs


def rank_agreement(estimated: pd.Series, truth: pd.Series) -> RankAgreement:
    """Compare the channel order of `estimated` credits with the `truth` effects (both by name)."""
    both = pd.concat({"estimated": estimated, "truth": truth}, axis=1, join="inner")
    misordered = [
        (a, b)
        for a in both.index
        for b in both.index
        if both.at[a, "truth"] > both.at[b, "truth"]
        and both.at[a, "estimated"] < both.at[b, "estimated"]
    ]
    return RankAgreement(
        channels=len(both),
        spearman=float(spearmanr(both["estimated"], both["truth"]).statistic),
        kendall=float(kendalltau(both["estimated"], both["truth"]).statistic),
        same_order=not misordered,
        misordered=misordered,
    )
