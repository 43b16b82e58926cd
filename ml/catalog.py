"""The model catalogue: each model's train and score entry points, for `mdp train` / `mdp score`
and the ML DAGs. Add a model here and both commands pick it up."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from mdp.settings import Settings
from ml.common.errors import UnknownModelError


@dataclass(frozen=True)
class CatalogEntry:
    """A model: where its train and score functions live, the score table it writes and the
    models whose score tables its scoring reads (they score first)."""

    name: str
    train: str  # "module:function", imported only when called (DAG parsing stays light)
    score: str
    score_table: str
    scores_after: tuple[str, ...] = ()

    def _load(self, target: str) -> Callable[..., Any]:
        module, _, function = target.partition(":")
        loaded: Callable[..., Any] = getattr(importlib.import_module(module), function)
        return loaded

    def run_train(self, settings: Settings, snapshot: date | None = None) -> Any:
        return self._load(self.train)(settings, snapshot)

    def run_score(self, settings: Settings, snapshot: date | None = None) -> Any:
        return self._load(self.score)(settings, snapshot)


def _entry(name: str, package: str, score_table: str, *after: str) -> CatalogEntry:
    return CatalogEntry(
        name, f"ml.{package}.train:train", f"ml.{package}.score:score", score_table, after
    )


#: In scoring order: a model comes after those it reads the scores of.
CATALOG: dict[str, CatalogEntry] = {
    entry.name: entry
    for entry in (
        _entry("lead_scoring", "lead_scoring", "scores.lead_scores"),
        _entry("churn", "churn", "scores.churn_scores"),
        # Markov / Shapley credits: attribution_model 'markov' and 'shapley' per touchpoint,
        # a table of its own (marts.fct_attribution_credits keeps the rule-based models)
        _entry("attribution", "attribution", "scores.attribution_credits"),
        _entry("ltv", "ltv", "scores.customer_ltv", "churn"),  # churn hazard: churn scores
        _entry("forecast", "forecasting", "scores.forecasts"),
        _entry("budget", "budget", "scores.budget_recommendations"),
    )
}


def select(name: str | None) -> list[CatalogEntry]:
    """One model by name, or every model (in scoring order) when `name` is None."""
    if name is None:
        return list(CATALOG.values())
    if name not in CATALOG:
        raise UnknownModelError(f"unknown model {name!r}; models: {', '.join(CATALOG)}")
    return [CATALOG[name]]
