"""Reasons a person reads: the features that moved each row's score most (from the learner's
per-feature log-odds contributions), each told as a short sentence from the feature's meaning.

A model's features are declared once with `Feature` (label for plots and MLflow, and how a
value reads: "Viewed the pricing page in 4 visits"), never phrased from column names. The
sentence is the scoring's job, not the registered model's: phrasing can improve without
retraining, and every model version ever registered reads the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Leading mark of a reason: it raises or lowers the score.
RAISES, LOWERS = "▲", "▼"
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


@dataclass(frozen=True)
class Feature:
    """One model input as people see it: a short label and the sentence a value reads as
    (`sentence(value)`; None and NaN arrive as None)."""

    label: str
    sentence: Callable[[Any], str]


def top_reasons(
    contributions: np.ndarray,
    features: pd.DataFrame,
    definitions: Mapping[str, Feature],
    k: int = 3,
) -> list[list[str | None]]:
    """For each row, the `k` features with the largest absolute contribution to the log-odds,
    as '▲ <sentence>' (raises the score) or '▼ <sentence>' (lowers it); None where fewer than
    `k` features contribute. `contributions` is the learner's `pred_contrib` output (one column
    per feature of `features`, in order, then the bias column)."""
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
            mark = RAISES if effect > 0 else LOWERS
            texts.append(f"{mark} {sentence(definitions, names[column], values[row, column])}")
        texts.extend([None] * (k - len(texts)))
        reasons.append(texts)
    return reasons


def sentence(definitions: Mapping[str, Feature], name: str, value: Any) -> str:
    """How one feature's value reads; a feature without a definition still reads as text."""
    value = None if _missing(value) else value
    if name in definitions:
        return definitions[name].sentence(value)
    return f"{name.replace('_', ' ').capitalize()}: {'unknown' if value is None else value}"


def labels(definitions: Mapping[str, Feature]) -> dict[str, str]:
    """Feature → its short label (importance tables and plots)."""
    return {name: feature.label for name, feature in definitions.items()}


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float | np.floating) and math.isnan(value)


# Formatting helpers for the sentences of the models' features.


def count(value: Any, one: str, many: str) -> str:
    """'1 visit' / '4 visits' / '1,204 events' (value rounded to a whole number)."""
    n = round(float(value))
    return f"{n:,} {one if n == 1 else many}"


def about(value: float) -> str:
    """A size rounded to two significant figures, as a person says it: '~1,300', '~45'."""
    if value < 1:
        return "under 1"
    step = 10 ** max(0, math.floor(math.log10(value)) - 1)
    return f"~{round(value / step) * step:,.0f}"


def money(value: float, currency: str) -> str:
    """'$1,035' / '1,035 CHF': whole units with the currency's symbol where it has one."""
    amount = f"{abs(value):,.0f}"
    sign = "-" if value < 0 and round(abs(value)) else ""
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency.upper()}"


def percent(share: float) -> str:
    """0.453 → '45%'."""
    return f"{share * 100:.0f}%"
