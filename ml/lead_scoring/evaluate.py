"""Lead tiers and how each tier converted in the evaluation window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdp.settings import MlSettings

TIERS = ("Hot", "Warm", "Cold")


def tiers(probability: np.ndarray, ml: MlSettings) -> np.ndarray:
    """Hot at or above the hot cut-off, Warm at or above the warm one, else Cold."""
    p = np.asarray(probability, dtype=float)
    return np.select(
        [p >= ml.lead_hot_threshold, p >= ml.lead_warm_threshold], ["Hot", "Warm"], "Cold"
    )


def tier_table(won: np.ndarray, probability: np.ndarray, ml: MlSettings) -> pd.DataFrame:
    """Per tier: leads, share of leads, wins, win rate and mean probability."""
    frame = pd.DataFrame(
        {"tier": tiers(probability, ml), "won": np.asarray(won, bool), "p": probability}
    )
    table = (
        frame.groupby("tier")
        .agg(
            leads=("won", "size"),
            wins=("won", "sum"),
            win_rate=("won", "mean"),
            mean_p=("p", "mean"),
        )
        .reindex(list(TIERS))
        .fillna(0)
        .reset_index()
    )
    table["share"] = table["leads"] / max(len(frame), 1)
    return table
