"""The pipeline's stages in data-flow order, and the DAGs that implement each."""

from __future__ import annotations

from dataclasses import dataclass

from mdp.errors import ConfigError


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a name users select and the DAGs Airflow runs for it."""

    name: str
    dag_ids: tuple[str, ...]
    description: str


#: Connectors in ingestion/, each with an `ingest_<source>` DAG.
SOURCES = ("ga4", "facebook_ads", "google_ads", "salesforce")

STAGES: tuple[Stage, ...] = (
    Stage("ingest", tuple(f"ingest_{source}" for source in SOURCES), "sources → raw tables"),
    Stage("transform", ("transform",), "dbt: raw → staging → marts, with tests"),
    Stage("train", ("ml_train",), "ML: train every model, log to MLflow, promote by rule"),
    Stage("score", ("ml_score",), "ML: score tables from the champions and latest fits"),
    Stage(
        "activate",
        ("crm_sync", "alerts", "weekly_report"),
        "scores → Salesforce and HubSpot, alerts → Slack, the weekly report",
    ),
)


def stage_names() -> list[str]:
    """Stage names in pipeline order."""
    return [s.name for s in STAGES]


def select_stages(only: str | None = None, start_from: str | None = None) -> list[Stage]:
    """All stages, one stage (`only`), or a stage and everything after it (`start_from`)."""
    names = stage_names()
    for given in (only, start_from):
        if given is not None and given not in names:
            raise ConfigError(f"unknown stage {given!r}; stages are: {', '.join(names)}")
    if only and start_from:
        raise ConfigError("use either --only or --from, not both")
    if only:
        return [s for s in STAGES if s.name == only]
    if start_from:
        return list(STAGES[names.index(start_from) :])
    return list(STAGES)
