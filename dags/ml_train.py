"""
### ml_train
Retrains every model in the catalogue (ml/catalog.py) on the current marts, one task per model:
each run logs its parameters, evaluation metrics and plots to MLflow. Classifiers (lead scoring,
churn) register a new version as `challenger`, promoted to `champion` only if it beats the
champion on the same latest time window and clears the minimum ROC-AUC (MDP_ML__MIN_ROC_AUC);
attribution, LTV, forecast and budget log their fitted state, which scoring then uses. A model
whose data is too thin to train (e.g. fewer than 5 wins in a time window) is skipped with the
reason in its log. Weekly, or trigger it by hand after a backfill.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.dag_defaults import START_DATE, default_args


@task
def train_model(model: str) -> list[dict[str, object]]:
    """`mdp train <model>`: train and log (classifiers: register, apply the promotion rule)."""
    import logging

    from airflow.sdk.exceptions import AirflowSkipException

    from mdp.settings import get_settings
    from ml.catalog import select
    from ml.common.errors import NotEnoughDataError
    from ml.common.training import SkippedTraining

    try:
        results = select(model)[0].run_train(get_settings())
    except NotEnoughDataError as error:
        # too little history is a state of the data, not a failure: the run says why and the
        # other models still train
        raise AirflowSkipException(f"{model}: {error}") from None
    skipped = [r for r in results if isinstance(r, SkippedTraining)]
    for result in skipped:  # e.g. one churn horizon: the other still trained
        logging.getLogger(__name__).warning("%s (MLflow run %s)", result.reason, result.run_id)
    if skipped and len(skipped) == len(results):
        raise AirflowSkipException("; ".join(r.reason for r in skipped))
    return [
        {
            "model": r.registered_name,
            "version": getattr(r, "version", None),
            "run_id": r.run_id,
            "promoted": getattr(getattr(r, "promotion", None), "promoted", None),
            "skipped": getattr(r, "reason", None),
        }
        for r in results
    ]


@dag(
    schedule="@weekly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["mdp", "ml", "train"],
    doc_md=__doc__,
)
def ml_train() -> None:
    # the catalogue is import-light (its entry points load only when a task calls them)
    from ml.catalog import CATALOG

    for model in CATALOG:
        train_model.override(task_id=f"train_{model}")(model)


ml_train()
