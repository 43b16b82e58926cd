"""Rolling-origin backtest of forecast candidates and the choice of one per series."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.forecasting.candidates import Candidate
from ml.forecasting.metrics import coverage, mape, mase


@dataclass(frozen=True)
class CandidateScore:
    """A candidate's backtest metrics, averaged over the origins where it could be scored."""

    name: str
    mase: float
    mape: float
    coverage: dict[float, float] = field(default_factory=dict)
    failed_origins: int = 0


def backtest_origins(n: int, horizon: int, n_origins: int, min_train: int) -> list[int]:
    """Forecast origins (training lengths): back-to-back test windows ending at the last point.

    Origin o trains on y[:o] and is scored on y[o:o + horizon]; origins whose training part
    would be shorter than `min_train` are dropped.
    """
    candidates = (n - horizon * (i + 1) for i in range(n_origins))
    return sorted(o for o in candidates if o >= min_train)


def _nanmean(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else float("nan")


def score_candidate(
    y: np.ndarray,
    candidate: Candidate,
    origins: Sequence[int],
    horizon: int,
    m: int,
    levels: Sequence[float],
) -> CandidateScore:
    """Refit the candidate at each origin on the data before it and score the next horizon."""
    mases, mapes, covered = [], [], {level: [] for level in levels}  # type: ignore[var-annotated]
    failed = 0
    for origin in origins:
        train, actual = y[:origin], y[origin : origin + horizon]
        try:
            forecast = candidate.forecast(train, len(actual), levels)
        except (ValueError, np.linalg.LinAlgError):
            failed += 1
            continue
        mases.append(mase(actual, forecast.mean, train, m))
        mapes.append(mape(actual, forecast.mean))
        for level in levels:
            low, high = forecast.intervals[level]
            covered[level].append(coverage(actual, low, high))
    if failed == len(origins):
        return CandidateScore(candidate.name, math.inf, math.inf, {}, failed)
    return CandidateScore(
        candidate.name,
        _nanmean(mases),
        _nanmean(mapes),
        {level: float(np.mean(v)) for level, v in covered.items()},
        failed,
    )


def backtest(
    y: np.ndarray,
    candidates: Sequence[Candidate],
    horizon: int,
    m: int,
    n_origins: int = 3,
    levels: Sequence[float] = (0.8, 0.95),
    min_train: int | None = None,
) -> list[CandidateScore]:
    """Scores of every candidate over the same rolling origins (baseline first, as given)."""
    y = np.asarray(y, dtype=float)
    min_train = min_train if min_train is not None else max(3 * m, 2 * horizon)
    origins = backtest_origins(len(y), horizon, n_origins, min_train)
    if not origins:
        nothing = CandidateScore("", math.nan, math.nan)
        return [CandidateScore(c.name, nothing.mase, nothing.mape) for c in candidates]
    return [score_candidate(y, c, origins, horizon, m, levels) for c in candidates]


def choose(scores: Sequence[CandidateScore]) -> CandidateScore:
    """Lowest mean MASE; the baseline (first) when nothing could be scored or on ties."""
    best = scores[0]
    for score in scores[1:]:
        if not math.isnan(score.mase) and (math.isnan(best.mase) or score.mase < best.mase):
            best = score
    return best
