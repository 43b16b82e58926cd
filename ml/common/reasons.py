"""Reason codes: the features that moved each row's score most, from the learner's per-feature
log-odds contributions."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def top_reasons(
    contributions: np.ndarray,
    features: pd.DataFrame,
    labels: Mapping[str, str],
    k: int = 3,
) -> list[list[str | None]]:
    """For each row, the `k` features with the largest absolute contribution to the log-odds,
    as text: '<label> = <value> (raises)' or '(lowers)'. `contributions` is the learner's
    `pred_contrib` output (one column per feature, then the bias column)."""
    names = list(features.columns)
    per_feature = contributions[:, : len(names)]
    # stable order: ties keep the feature order, so reasons are reproducible
    order = np.argsort(-np.abs(per_feature), axis=1, kind="stable")[:, :k]
    values = features.to_numpy(dtype=object)
    reasons: list[list[str | None]] = []
    for row, columns in enumerate(order):
        texts: list[str | None] = []
        for column in columns:
            effect = per_feature[row, column]
            if effect == 0:
                texts.append(None)
                continue
            name = names[column]
            shown = _format(values[row, column])
            direction = "raises" if effect > 0 else "lowers"
            texts.append(f"{labels.get(name, name)} = {shown} ({direction})")
        texts.extend([None] * (k - len(texts)))
        reasons.append(texts)
    return reasons


def _format(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "unknown"
    if isinstance(value, float | np.floating):
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
    return str(value)
