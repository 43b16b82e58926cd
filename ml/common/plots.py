"""Evaluation plots (matplotlib, which MLflow depends on): reliability, lift, importance …"""

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


def feature_importance(importance: pd.Series, title: str, top: int = 20) -> Any:
    """Horizontal bars of the `top` features by importance (largest at the top)."""
    fig, ax = _figure()
    shown = importance.sort_values(ascending=False).head(top)[::-1]
    ax.barh([str(name) for name in shown.index], shown.to_numpy())
    ax.set(xlabel="share of mean |log-odds contribution|", title=title)
    ax.tick_params(axis="y", labelsize="small")
    fig.tight_layout()
    return fig


def grouped_bars(frame: pd.DataFrame, title: str, xlabel: str) -> Any:
    """Horizontal bars per row (e.g. channel), one colour per column (e.g. conversion type)."""
    fig, ax = _figure()
    rows, columns = len(frame.index), max(len(frame.columns), 1)
    height = 0.8 / columns
    for i, column in enumerate(frame.columns):
        positions = np.arange(rows) + i * height
        ax.barh(positions, frame[column].fillna(0.0).to_numpy(), height=height, label=str(column))
    ax.set_yticks(np.arange(rows) + 0.4 - height / 2)
    ax.set_yticklabels([str(i) for i in frame.index])
    ax.invert_yaxis()
    ax.set(xlabel=xlabel, title=title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def forecast_band(
    history: pd.Series,
    dates: pd.DatetimeIndex,
    mean: np.ndarray,
    intervals: dict[float, tuple[np.ndarray, np.ndarray]],
    title: str,
) -> Any:
    """A series' recent history, its point forecast and shaded prediction intervals."""
    fig, ax = _figure()
    ax.plot(history.index, history.to_numpy(), color="black", linewidth=1, label="actual")
    for level in sorted(intervals, reverse=True):
        low, high = intervals[level]
        ax.fill_between(dates, low, high, alpha=0.25, label=f"{level:.0%} interval")
    ax.plot(dates, mean, linewidth=1.5, label="forecast")
    ax.set(title=title)
    ax.legend(fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def response_curves(
    observed: dict[str, tuple[np.ndarray, np.ndarray]],
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    title: str,
    ylabel: str,
) -> Any:
    """Observed daily (spend, response) points per entity, and its fitted curve where given."""
    fig, ax = _figure()
    for name, (spend, response) in observed.items():
        points = ax.scatter(spend, response, s=6, alpha=0.3, label=name)
        if name in curves:
            ax.plot(*curves[name], color=points.get_facecolor()[0], linewidth=2)
    ax.set(xlabel="daily spend", ylabel=ylabel, title=title)
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def histogram(values: np.ndarray, title: str, xlabel: str, bins: int = 20) -> Any:
    """Distribution of one quantity (e.g. P(alive) over buyers)."""
    fig, ax = _figure()
    ax.hist(np.asarray(values, dtype=float), bins=bins)
    ax.set(xlabel=xlabel, ylabel="count", title=title)
    fig.tight_layout()
    return fig
