"""Penalised additive logistic regression: a smooth curve per numeric feature, a shrunk effect
per categorical level, each term's smoothness estimated from the data.

A generalised additive model in the style of P-splines: numeric features go through a signed
log1p (counts, money and durations are heavy-tailed), then a cubic B-spline basis on evenly
spaced knots whose coefficients are penalised by their second differences (a straight line is
free, wiggles cost); categorical levels get a ridge penalty. Each term's penalty weight is
estimated by the Fellner-Schall update (Wood & Fasiolo 2017), which maximises the Laplace
approximation of the marginal likelihood: no validation rows are spent on it, and a term the
data do not support is shrunk to a line (numeric) or to nothing (categorical).

It predicts with the same call as `lightgbm.Booster.predict` (`raw_score`, `pred_contrib`), so
the shared classifier can hold either; contributions are each term's log-odds relative to its
mean over the fitting rows, the bias column is the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline

INNER_KNOTS = 6
DEGREE = 3
MAX_SMOOTHING_STEPS = 100
SMOOTHING_TOLERANCE = 0.01  # on log λ: a 1% change of a penalty moves no prediction
MAX_NEWTON_STEPS = 50
_SMOOTHING_RANGE = (1e-4, 1e6)  # 1e6: a straight line for any realistic data size
_RIDGE = 1e-8  # keeps the Hessian invertible; far below any estimated penalty


def signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


@dataclass(frozen=True)
class _Spline:
    """Cubic B-spline basis of one transformed numeric feature, centred (identifiable next to
    the intercept) through the null space of its mean over the fitting rows."""

    knots: np.ndarray
    low: float
    high: float
    fill: float  # value used for missing rows (they also get their own indicator column)
    centring: np.ndarray  # (basis, basis − 1)
    has_missing: bool

    @classmethod
    def fit(cls, x: np.ndarray) -> _Spline | None:
        seen = x[np.isfinite(x)]
        if len(np.unique(seen)) < 2:
            return None
        low, high, fill = float(seen.min()), float(seen.max()), float(np.median(seen))
        step = (high - low) / (INNER_KNOTS + 1)
        knots = low + step * np.arange(-DEGREE, INNER_KNOTS + 2 + DEGREE)
        mean = _bspline(x, knots, low, high, fill).mean(axis=0)
        # the basis rows sum to one: the centred basis drops that constant direction
        _, _, vt = np.linalg.svd(mean[None, :])
        return cls(knots, low, high, fill, vt[1:].T, bool(np.isnan(x).any()))

    def columns(self, x: np.ndarray) -> np.ndarray:
        out = _bspline(x, self.knots, self.low, self.high, self.fill) @ self.centring
        if self.has_missing:
            out = np.hstack([out, np.isnan(x)[:, None].astype(float)])
        return out

    def penalty(self) -> tuple[np.ndarray, int]:
        """Second-difference penalty in the centred coordinates and its rank."""
        size = len(self.knots) - DEGREE - 1
        difference = np.diff(np.eye(size), 2, axis=0)
        penalty = self.centring.T @ difference.T @ difference @ self.centring
        rank = size - 2
        if self.has_missing:
            penalty = np.pad(penalty, ((0, 1), (0, 1)))
            penalty[-1, -1] = 1.0  # the missing-value offset is shrunk like a level
            rank += 1
        return penalty, rank


def _bspline(x: np.ndarray, knots: np.ndarray, low: float, high: float, fill: float) -> np.ndarray:
    """Cubic B-spline basis; missing values at `fill`, values outside the fitting range at its
    nearest end (the curve stays flat beyond the data)."""
    filled = np.clip(np.where(np.isfinite(x), x, fill), low, high)
    # the knots' arithmetic may land an ulp inside [low, high]
    filled = np.clip(filled, knots[DEGREE], knots[-DEGREE - 1])
    return BSpline.design_matrix(filled, knots, DEGREE).toarray()


@dataclass(frozen=True)
class _Term:
    name: str
    spline: _Spline | None  # None: categorical
    levels: tuple[str, ...]
    columns: slice
    penalty: np.ndarray
    rank: int


class AdditiveModel:
    """Fit with `fit(frame, y, numeric, categorical)`; `frame` as `FeatureSpec.frame` gives it
    (numeric floats, categoricals as pandas Categorical)."""

    def __init__(self) -> None:
        self.terms: list[_Term] = []
        self.feature_names: list[str] = []
        self.coef = np.zeros(1)  # intercept first
        self.smoothing: dict[str, float] = {}
        self.term_means: dict[str, float] = {}

    def fit(
        self, frame: pd.DataFrame, y: np.ndarray, numeric: list[str], categorical: list[str]
    ) -> AdditiveModel:
        self.feature_names = [*numeric, *categorical]
        self.terms = self._terms(frame, numeric, categorical)
        x = self._design(frame)
        y = np.asarray(y, dtype=float)
        lambdas = np.ones(len(self.terms))
        coef = np.zeros(x.shape[1] + 1)
        coef[0] = np.log(y.mean() / (1 - y.mean()))
        # Coefficients and penalties converge together: a Newton step, then a penalty update.
        for _ in range(MAX_SMOOTHING_STEPS if self.terms else 0):
            coef, inverse = _newton(x, y, self._penalty(lambdas), coef, steps=1)
            updated = self._fellner_schall(lambdas, coef, inverse)
            converged = np.max(np.abs(np.log(updated / lambdas))) < SMOOTHING_TOLERANCE
            lambdas = updated
            if converged:
                break
        self.coef, _ = _newton(x, y, self._penalty(lambdas), coef)
        self.smoothing = {t.name: float(v) for t, v in zip(self.terms, lambdas, strict=True)}
        self.term_means = {
            t.name: float(np.mean(x[:, t.columns] @ self.coef[1:][t.columns])) for t in self.terms
        }
        return self

    def _terms(
        self, frame: pd.DataFrame, numeric: list[str], categorical: list[str]
    ) -> list[_Term]:
        terms, start = [], 0
        for name in numeric:
            spline = _Spline.fit(signed_log1p(frame[name].to_numpy(dtype=float)))
            if spline is None:
                continue
            penalty, rank = spline.penalty()
            terms.append(_Term(name, spline, (), slice(start, start + len(penalty)), penalty, rank))
            start += len(penalty)
        for name in categorical:
            levels = tuple(str(v) for v in frame[name].cat.categories)
            if not levels:
                continue
            size = len(levels)
            terms.append(_Term(name, None, levels, slice(start, start + size), np.eye(size), size))
            start += size
        return terms

    def _design(self, frame: pd.DataFrame) -> np.ndarray:
        blocks = []
        for term in self.terms:
            if term.spline is not None:
                blocks.append(term.spline.columns(signed_log1p(frame[term.name].to_numpy(float))))
            else:
                values = frame[term.name].astype(object).to_numpy()
                blocks.append((values[:, None] == np.array(term.levels)[None, :]).astype(float))
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))

    def _penalty(self, lambdas: np.ndarray) -> np.ndarray:
        size = self.terms[-1].columns.stop if self.terms else 0
        penalty = np.zeros((size + 1, size + 1))
        for term, value in zip(self.terms, lambdas, strict=True):
            block = slice(term.columns.start + 1, term.columns.stop + 1)
            penalty[block, block] = value * term.penalty
        return penalty

    def _fellner_schall(
        self, lambdas: np.ndarray, coef: np.ndarray, inverse: np.ndarray
    ) -> np.ndarray:
        """λ_j ← (rank_j − λ_j tr(H⁻¹ S_j)) / (β_j' S_j β_j): the degrees of freedom term j
        spends over the size of its wiggle, a fixed point of the marginal likelihood."""
        updated = np.empty_like(lambdas)
        for i, (term, value) in enumerate(zip(self.terms, lambdas, strict=True)):
            block = slice(term.columns.start + 1, term.columns.stop + 1)
            used = term.rank - value * np.trace(inverse[block, block] @ term.penalty)
            size = float(coef[block] @ term.penalty @ coef[block])
            updated[i] = max(used, 1e-6) / max(size, 1e-12)
        return np.clip(updated, *_SMOOTHING_RANGE)

    def predict(
        self, frame: pd.DataFrame, raw_score: bool = False, pred_contrib: bool = False
    ) -> np.ndarray:
        """Probabilities; log-odds with `raw_score`; per-feature contributions then the bias
        with `pred_contrib` (features in fitting order, one column each)."""
        x = self._design(frame)
        if pred_contrib:
            out = np.zeros((len(frame), len(self.feature_names) + 1))
            out[:, -1] = self.coef[0]
            for term in self.terms:
                effect = x[:, term.columns] @ self.coef[1:][term.columns]
                out[:, self.feature_names.index(term.name)] = effect - self.term_means[term.name]
                out[:, -1] += self.term_means[term.name]
            return out
        score = self.coef[0] + x @ self.coef[1:]
        return score if raw_score else 1.0 / (1.0 + np.exp(-score))


def _newton(
    x: np.ndarray,
    y: np.ndarray,
    penalty: np.ndarray,
    coef: np.ndarray,
    steps: int = MAX_NEWTON_STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Penalised maximum likelihood (intercept first in `coef`, unpenalised) by up to `steps`
    Newton steps with step halving; returns the coefficients and the inverse penalised Hessian
    of the last step (at the optimum once converged)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    ridge = _RIDGE * np.eye(len(coef))

    def objective(c: np.ndarray) -> float:
        z = design @ c
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * c @ penalty @ c)

    current = objective(coef)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(design @ coef)))
        gradient = design.T @ (p - y) + penalty @ coef
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty + ridge
        step = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            trial = objective(coef - step)
            if trial <= current + 1e-10:
                break
            step = step / 2
        coef, improvement, current = coef - step, current - trial, trial
        if improvement < 1e-9 * (1 + abs(current)):
            break
    return coef, np.linalg.inv(hessian)
