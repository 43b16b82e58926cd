"""Run DAGs through Airflow itself (dag.test), in order, as the demo and `mdp run` do."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mdp.errors import PipelineError
from mdp.runtime.airflow_env import DAGS_FOLDER, apply_airflow_env
from mdp.runtime.dbt import apply_dbt_env
from mdp.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DagRunSummary:
    """What one DAG run did."""

    dag_id: str
    run_id: str
    state: str
    seconds: float
    tasks: dict[str, str]


def _load_dags(dag_ids: Sequence[str]) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if bag.import_errors:
        first = next(iter(bag.import_errors.items()))
        raise PipelineError(f"DAG file {first[0]} does not import: {first[1].splitlines()[-1]}")
    missing = [d for d in dag_ids if d not in bag.dags]
    if missing:
        raise PipelineError(f"unknown DAG(s): {', '.join(missing)}; known: {sorted(bag.dags)}")
    return {d: bag.dags[d] for d in dag_ids}


def run_dags(
    settings: Settings,
    dag_ids: Sequence[str],
    conf: Mapping[str, Any] | None = None,
    logical_date: datetime | None = None,
) -> list[DagRunSummary]:
    """Run each DAG once with `conf` as its params, stopping at the first failed run."""
    apply_airflow_env(settings)
    apply_dbt_env(settings)
    dags = _load_dags(dag_ids)
    summaries = []
    for dag_id in dag_ids:
        # A local run fails fast: Airflow retries are for transient faults in production, and
        # the connectors already retry API calls themselves.
        for task in dags[dag_id].tasks:
            task.retries = 0
        started = time.monotonic()
        run = dags[dag_id].test(
            logical_date=logical_date or datetime.now(UTC), run_conf=dict(conf or {})
        )
        tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        summary = DagRunSummary(
            dag_id, run.run_id, str(run.state), time.monotonic() - started, tasks
        )
        summaries.append(summary)
        log.info("dag %s finished %s in %.1fs", dag_id, summary.state, summary.seconds)
        if summary.state != "success":
            failed = [t for t, s in tasks.items() if s not in {"success", "skipped"}]
            raise PipelineError(
                f"DAG {dag_id} run {run.run_id} ended {summary.state}; "
                f"failed tasks: {', '.join(failed) or '?'} (see `make airflow` for logs)"
            )
    return summaries
