"""Run DAGs through Airflow itself (dag.test), in order, as the demo and `mdp run` do.

Each task's output is written where Airflow's UI reads task logs (<AIRFLOW_HOME>/logs, named by
the file task handler's template) as well as to the run's own log, and each run carries the
logical date and data interval of the data it processed, not the wall clock.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from mdp.errors import PipelineError
from mdp.runtime.airflow_env import DAGS_FOLDER, apply_airflow_env
from mdp.runtime.capture import tee_output
from mdp.runtime.dbt import apply_dbt_env
from mdp.settings import Settings

log = logging.getLogger(__name__)

#: Lines of a failed task's cause shown on the terminal; the rest is in its log.
CAUSE_LINES = 3


@dataclass(frozen=True)
class DagRunSummary:
    """What one DAG run did."""

    dag_id: str
    run_id: str
    state: str
    seconds: float
    tasks: dict[str, str]


@dataclass(frozen=True)
class TaskEvent:
    """A task starting (`state` None) or finishing, for progress on the terminal."""

    dag_id: str
    task_id: str
    state: str | None
    seconds: float
    log_path: Path


TaskProgress = Callable[[TaskEvent], None]


def _load_dags(dag_ids: Sequence[str], folder: Path) -> dict[str, Any]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(folder))
    if bag.import_errors:
        first = next(iter(bag.import_errors.items()))
        raise PipelineError(f"DAG file {first[0]} does not import: {first[1].splitlines()[-1]}")
    missing = [d for d in dag_ids if d not in bag.dags]
    if missing:
        raise PipelineError(f"unknown DAG(s): {', '.join(missing)}; known: {sorted(bag.dags)}")
    return {d: bag.dags[d] for d in dag_ids}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def data_interval(
    conf: Mapping[str, Any], logical_date: datetime | None
) -> tuple[datetime, datetime]:
    """The data interval a run processes: its `start`..`end` days (end inclusive) when given,
    else the day of `logical_date` (today when none)."""
    start, end = conf.get("start"), conf.get("end")
    if start or end:
        first, last = _day(start or end), _day(end or start)
    else:
        first = last = (logical_date or datetime.now(UTC)).date()
    begin = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return begin, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


def task_log_path(ti: Any) -> Path:
    """Where the Airflow UI (the api-server's file task handler) looks for this try's log."""
    from airflow.configuration import conf
    from airflow.utils.log.file_task_handler import FileTaskHandler

    base = conf.get("logging", "base_log_folder")
    return Path(base, FileTaskHandler(base_log_folder=base)._render_filename(ti, ti.try_number))


@contextmanager
def _task_logs(progress: TaskProgress | None, paths: dict[str, Path]) -> Iterator[None]:
    """While dag.test runs, send each task's output to its Airflow task log as well."""
    from airflow.sdk.definitions import dag as dag_module

    run_task: Callable[..., Any] | None = getattr(dag_module, "_run_task", None)
    if run_task is None:  # pragma: no cover - an Airflow upgrade moved it
        raise PipelineError("this Airflow version has no dag.test task hook; pin apache-airflow")

    def logged_run_task(*, ti: Any, **kwargs: Any) -> Any:
        path = paths[ti.task_id] = task_log_path(ti)
        if progress:
            progress(TaskEvent(ti.dag_id, ti.task_id, None, 0.0, path))
        started = time.monotonic()
        with tee_output(path):
            result = run_task(ti=ti, **kwargs)
        if progress:
            state = str(getattr(ti.state, "value", ti.state))
            progress(TaskEvent(ti.dag_id, ti.task_id, state, time.monotonic() - started, path))
        return result

    setattr(dag_module, "_run_task", logged_run_task)  # noqa: B010
    try:
        yield
    finally:
        setattr(dag_module, "_run_task", run_task)  # noqa: B010


def _set_data_interval(run: Any, interval: tuple[datetime, datetime]) -> None:
    """dag.test infers a zero-length interval for a manual run; record the one processed."""
    from airflow import settings as airflow_settings
    from airflow.models.dagrun import DagRun
    from sqlalchemy import update

    if airflow_settings.Session is None:  # pragma: no cover - dag.test configured it
        return
    session = airflow_settings.Session()
    session.execute(
        update(DagRun)
        .where(DagRun.id == run.id)
        .values(data_interval_start=interval[0], data_interval_end=interval[1])
    )
    session.commit()


_LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def failure_cause(log_path: Path, lines: int = CAUSE_LINES) -> list[str]:
    """The first lines of what made a task fail: the exception of the last traceback in its log."""
    if not log_path.exists():
        return []
    text = log_path.read_text(errors="replace").splitlines()
    starts = [i for i, line in enumerate(text) if line.startswith("Traceback (most recent")]
    if not starts:
        return [line for line in text if "[error" in line][-lines:]
    cause: list[str] = []
    for line in text[starts[-1] + 1 :]:
        if cause and (not line.strip() or _LOG_LINE.match(line)):
            break
        if cause or not line.startswith((" ", "\t")):
            cause.append(line)
    return cause[:lines]


def _failure(dag_id: str, run_id: str, tasks: Mapping[str, str], paths: Mapping[str, Path]) -> str:
    failed = [t for t, s in tasks.items() if s == "failed"]
    upstream = [t for t, s in tasks.items() if s not in {"success", "skipped", "failed"}]
    lines = [f"DAG {dag_id} run {run_id} failed: task {', '.join(failed) or '?'} failed"]
    if upstream:
        lines[0] += f" ({', '.join(upstream)} did not run)"
    for task_id in failed:
        if task_id in paths:
            lines += [f"  {line}" for line in failure_cause(paths[task_id])]
            lines.append(f"  task log: {paths[task_id]}")
    return "\n".join(lines)


def run_dags(
    settings: Settings,
    dag_ids: Sequence[str],
    conf: Mapping[str, Any] | None = None,
    logical_date: datetime | None = None,
    progress: TaskProgress | None = None,
    dags_folder: Path = DAGS_FOLDER,
) -> list[DagRunSummary]:
    """Run each DAG once with `conf` as its params, stopping at the first failed run.

    `dags_folder` must be Airflow's dags folder too (dag.test syncs that bundle to the DB).
    The run's logical date is the first day it processes (`start` in `conf`, else
    `logical_date`), so Airflow's grid reads as the data's calendar."""
    apply_airflow_env(settings)
    apply_dbt_env(settings)
    dags = _load_dags(dag_ids, dags_folder)
    interval = data_interval(conf or {}, logical_date)
    # Airflow names manual runs by when they could run: once the interval's data is complete.
    run_after = min(interval[1], datetime.now(UTC))
    summaries = []
    for dag_id in dag_ids:
        # A local run fails fast: Airflow retries are for transient faults in production, and
        # the connectors already retry API calls themselves.
        for task in dags[dag_id].tasks:
            task.retries = 0
        started = time.monotonic()
        paths: dict[str, Path] = {}
        with _task_logs(progress, paths):
            run = dags[dag_id].test(
                logical_date=interval[0], run_after=run_after, run_conf=dict(conf or {})
            )
        _set_data_interval(run, interval)
        tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
        summary = DagRunSummary(
            dag_id, run.run_id, str(run.state), time.monotonic() - started, tasks
        )
        summaries.append(summary)
        log.info("dag %s finished %s in %.1fs", dag_id, summary.state, summary.seconds)
        if summary.state != "success":
            raise PipelineError(_failure(dag_id, run.run_id, tasks, paths))
    return summaries
