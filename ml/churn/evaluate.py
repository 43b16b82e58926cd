"""Churn risk levels and how each level churned in the evaluation window."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdp.settings import MlSettings

LEVELS = ("High", "Medium", "Low")


def risk_levels(probability: np.ndarray, months: int, ml: MlSettings) -> np.ndarray:
    """High above the horizon's high cut-off, Medium above its medium one, else Low."""
    p = np.asarray(probability, dtype=float)
    medium, high = ml.churn_levels(months)
    return np.select([p > high, p > medium], ["High", "Medium"], "Low")


def risk_table(
    churned: np.ndarray, probability: np.ndarray, months: int, ml: MlSettings
) -> pd.DataFrame:
    """Per risk level: customer-months, churns, churn rate and mean probability."""
    frame = pd.DataFrame(
        {
            "level": risk_levels(probability, months, ml),
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
