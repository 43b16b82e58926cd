"""
### transform
Builds the dbt project (staging → intermediate → marts, with their tests). By default one
`dbt build` task (`MDP_TRANSFORM_MODE=build`, the faster here: see benchmarks/transform.py);
with `MDP_TRANSFORM_MODE=cosmos`, astronomer-cosmos renders one task per model with its tests
after it. Scheduled on the raw tables the ingest DAGs write: it runs once every source's daily
load has landed, and updates the mart Assets the ML and activation DAGs wait for.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.assets import MARTS, SOURCES_LANDED
from mdp.runtime.dag_defaults import START_DATE, default_args
from mdp.settings import get_settings


@dag(
    schedule=list(SOURCES_LANDED),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["mdp", "transform", "dbt"],
    doc_md=__doc__,
)
def transform() -> None:
    if get_settings().transform_mode == "cosmos":
        from mdp.runtime.cosmos import dbt_build_group

        dbt_build_group(group_id="dbt") >> marts_built()
    else:
        dbt_build()


@task(outlets=list(MARTS))
def dbt_build() -> None:
    """`dbt build`: every model, then its tests; fails on the first failing test."""
    from mdp.runtime.dbt import build

    build()


@task(outlets=list(MARTS))
def marts_built() -> None:
    """Marks the marts updated once every Cosmos model and test task has succeeded."""


transform()
