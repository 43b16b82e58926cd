"""
### ml_score
Scores with every catalogue model (ml/catalog.py) as soon as the marts it reads are rebuilt:
classifiers with their `champion`, the others (attribution, LTV, forecast, budget) with their
latest training run. Each merges its rows into its `scores` table (model name, version, MLflow
run id, feature snapshot date and scoring time on every row); the score tables are Assets that
activation waits for. A model that reads another's scores runs after it (LTV after churn). A
model with no champion or training run yet is skipped, with the reason. After the attribution
scores, the ROI marts are rebuilt so they show Markov and Shapley credits beside the
rule-based models.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.assets import SCORING_INPUTS, table_asset
from mdp.runtime.dag_defaults import START_DATE, default_args


@task
def score_model(model: str) -> None:
    """`mdp score <model>`: score, merge into the score table."""
    import logging

    from airflow.sdk.exceptions import AirflowSkipException

    from mdp.settings import get_settings
    from ml.catalog import select
    from ml.common.errors import NoChampionError, NotEnoughDataError, NoTrainingRunError

    try:
        loads = select(model)[0].run_score(get_settings())
    except (NoChampionError, NoTrainingRunError, NotEnoughDataError) as error:
        # a model never trained (or with nothing to score) leaves its table as it was
        raise AirflowSkipException(f"{model}: {error}") from None
    log = logging.getLogger(__name__)
    for load in loads:
        if hasattr(load, "reason"):  # e.g. one churn horizon without a champion
            log.warning("%s", load.reason)
        else:
            log.info("%s: %s rows written", load.table, f"{load.rows:,}")


@task
def refresh_roi_marts() -> None:
    """`dbt build --select fct_channel_roi_daily+`: the ROI marts pick up the new Markov and
    Shapley credits (the transform DAG's next build would too, a day later)."""
    from mdp.runtime.dbt import build

    build(select="fct_channel_roi_daily+")


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
    # the catalogue is import-light (its entry points load only when a task calls them)
    from ml.catalog import CATALOG

    tasks = {
        name: score_model.override(
            task_id=f"score_{name}",
            outlets=[table_asset(entry.score_table)],
            # a model reading older scores beats none: it runs whether its inputs scored or not
            trigger_rule="all_done" if entry.scores_after else "all_success",
        )(name)
        for name, entry in CATALOG.items()
    }
    for name, entry in CATALOG.items():
        for upstream in entry.scores_after:
            tasks[upstream] >> tasks[name]
    # no outlets: the ROI marts are this DAG's inputs, and it must not schedule itself
    tasks["attribution"] >> refresh_roi_marts()


ml_score()
