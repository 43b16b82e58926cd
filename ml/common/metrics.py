"""Binary-classifier quality: ROC-AUC, PR-AUC, Brier, expected calibration error, decile lift."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

#: ECE bins: equal-width on [0, 1]; a probability of exactly 1 falls in the last bin.
ECE_BINS = 10


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    y = np.asarray(y, dtype=bool)
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def pr_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision: precision at each positive, weighted by the recall it adds."""
    y = np.asarray(y, dtype=bool)
    return float(average_precision_score(y, p)) if y.any() else float("nan")


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of the probabilities."""
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray, eps: float = 1e-12) -> float:
    """Mean negative log-likelihood, probabilities clipped to [eps, 1 - eps]."""
    p = np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def ece(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over `bins` equal-width bins of [0, 1]:
    sum over bins of (rows in bin / rows) * |observed rate - mean probability|."""
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    gap = np.abs(
        np.bincount(index, weights=y, minlength=bins)
        - np.bincount(index, weights=p, minlength=bins)
    )
    return float(gap.sum() / len(p)) if len(p) else float("nan")


def lift_by_decile(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Rows ranked by probability (highest first) in ten near-equal groups: each decile's rows,
    positives, observed rate, mean probability and lift (its rate / the overall rate)."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(p, dtype=float), kind="stable")
    overall = y.mean() if len(y) else float("nan")
    rows = []
    for decile, part in enumerate(np.array_split(order, 10), start=1):
        rate = y[part].mean() if len(part) else float("nan")
        rows.append(
            {
                "decile": decile,
                "rows": len(part),
                "positives": int(y[part].sum()),
                "rate": rate,
                "mean_probability": float(np.mean(p[part])) if len(part) else float("nan"),
                "lift": rate / overall if overall else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def classification_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The figures every training run logs for its evaluation window."""
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=float)
    lift = lift_by_decile(y, p)
    return {
        "rows": float(len(y)),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
        "mean_probability": float(p.mean()) if len(p) else float("nan"),
        "roc_auc": roc_auc(y, p),
        "pr_auc": pr_auc(y, p),
        "brier": brier(y, p),
        "log_loss": log_loss(y, p),
        "ece": ece(y, p),
        "top_decile_lift": float(lift["lift"].iloc[0]),
    }
