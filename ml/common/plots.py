"""Evaluation plots (matplotlib, which MLflow depends on): reliability diagram, lift by decile."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ml.common.metrics import ECE_BINS


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")  # no display in Airflow workers or CI
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5.5, 4.5))


def reliability(y: np.ndarray, p: np.ndarray, title: str) -> Any:
    """Observed rate vs mean probability in the ECE bins (point size: rows in the bin)."""
    fig, ax = _figure()
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    index = np.minimum((p * ECE_BINS).astype(int), ECE_BINS - 1)
    rows = np.bincount(index, minlength=ECE_BINS)
    used = rows > 0
    mean_p = np.bincount(index, weights=p, minlength=ECE_BINS)[used] / rows[used]
    rate = np.bincount(index, weights=y, minlength=ECE_BINS)[used] / rows[used]
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    ax.scatter(mean_p, rate, s=20 + 200 * rows[used] / rows.max())
    ax.plot(mean_p, rate)
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title=title)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fig.tight_layout()
    return fig


def lift(table: pd.DataFrame, title: str) -> Any:
    """Lift per decile (1 = highest scores)."""
    fig, ax = _figure()
    ax.bar(table["decile"], table["lift"])
    ax.axhline(1.0, linestyle="--", color="grey", linewidth=1)
    ax.set(xlabel="decile (1 = highest probability)", ylabel="lift", title=title)
    ax.set_xticks(list(table["decile"]))
    fig.tight_layout()
    return fig
