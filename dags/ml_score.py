"""
### ml_score
Scores with each catalogue model's `champion` as soon as the marts it reads are rebuilt, and
merges the rows into its `scores` table (model name, version, MLflow run id, feature snapshot
date and scoring time on every row). The score tables are Assets that activation waits for.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.assets import SCORES, SCORING_INPUTS
from mdp.runtime.dag_defaults import START_DATE, default_args


@task
def score_model(model: str) -> None:
    """`mdp score <model>`: score with the champion, merge into the score table."""
    from mdp.settings import get_settings
    from ml.catalog import select

    select(model)[0].run_score(get_settings())


@dag(
    schedule=list(SCORING_INPUTS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["mdp", "ml", "score"],
    doc_md=__doc__,
)
def ml_score() -> None:
    for model, asset in SCORES.items():
        score_model.override(task_id=f"score_{model}", outlets=[asset])(model)


ml_score()
