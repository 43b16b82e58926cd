"""Churn risk levels and how each level churned in the evaluation window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdp.settings import MlSettings

LEVELS = ("high", "medium", "low")


def risk_levels(probability: np.ndarray, ml: MlSettings) -> np.ndarray:
    """high above the high cut-off, medium above the medium one, else low."""
    p = np.asarray(probability, dtype=float)
    return np.select(
        [p > ml.churn_high_threshold, p > ml.churn_medium_threshold], ["high", "medium"], "low"
    )


def risk_table(churned: np.ndarray, probability: np.ndarray, ml: MlSettings) -> pd.DataFrame:
    """Per risk level: customer-months, churns, churn rate and mean probability."""
    frame = pd.DataFrame(
        {
            "level": risk_levels(probability, ml),
            "churned": np.asarray(churned, bool),
            "p": probability,
        }
    )
    return (
        frame.groupby("level")
        .agg(
            rows=("churned", "size"),
            churns=("churned", "sum"),
            rate=("churned", "mean"),
            mean_p=("p", "mean"),
        )
        .reindex(list(LEVELS))
        .fillna(0)
        .reset_index()
    )
