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
    """A model: where its train and score functions live and the score table it writes."""

    name: str
    train: str  # "module:function", imported only when called (DAG parsing stays light)
    score: str
    score_table: str

    def _load(self, target: str) -> Callable[..., Any]:
        module, _, function = target.partition(":")
        loaded: Callable[..., Any] = getattr(importlib.import_module(module), function)
        return loaded

    def run_train(self, settings: Settings, snapshot: date | None = None) -> Any:
        return self._load(self.train)(settings, snapshot)

    def run_score(self, settings: Settings, snapshot: date | None = None) -> Any:
        return self._load(self.score)(settings, snapshot)


CATALOG: dict[str, CatalogEntry] = {
    entry.name: entry
    for entry in (
        CatalogEntry(
            "lead_scoring",
            "ml.lead_scoring.train:train",
            "ml.lead_scoring.score:score",
            "scores.lead_scores",
        ),
        CatalogEntry(
            "churn", "ml.churn.train:train", "ml.churn.score:score", "scores.churn_scores"
        ),
    )
}


def select(name: str | None) -> list[CatalogEntry]:
    """One model by name, or every model when `name` is None."""
    if name is None:
        return list(CATALOG.values())
    if name not in CATALOG:
        raise UnknownModelError(f"unknown model {name!r}; models: {', '.join(CATALOG)}")
    return [CATALOG[name]]
