"""
### transform
Builds the dbt project (staging → intermediate → marts, with their tests) with
astronomer-cosmos: one Airflow task per model, its tests right after it. Scheduled on the raw
tables the ingest DAGs write: it runs once every source's daily load has landed.
"""

from __future__ import annotations

from airflow.sdk import dag

from mdp.runtime.assets import SOURCES_LANDED
from mdp.runtime.dag_defaults import START_DATE, default_args


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
    from mdp.runtime.cosmos import dbt_build_group

    dbt_build_group(group_id="dbt")


transform()
