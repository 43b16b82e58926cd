"""Every DAG imports cleanly and carries tags, an owner, retries and docs (and this test bites)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mdp import PROJECT_ROOT
from mdp.runtime.airflow_env import DAGS_FOLDER

DAG_FILES = sorted(p for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))


def load_dagbag(folder: Path) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder))


def dag_problems(dag: Any) -> list[str]:
    """What an mdp DAG must have; an empty list means it passes."""
    problems = []
    if not dag.tags:
        problems.append("no tags")
    if not dag.doc_md:
        problems.append("no doc_md")
    for task in dag.tasks:
        if task.owner in (None, "", "airflow"):
            problems.append(f"task {task.task_id} has no owner")
        if not task.retries:
            problems.append(f"task {task.task_id} has no retries")
    return problems


@pytest.fixture(scope="module")
def dagbag() -> Any:
    return load_dagbag(DAGS_FOLDER)


def test_dags_folder_imports_without_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) >= len(DAG_FILES)


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.stem)
def test_dag_file_defines_a_dag_that_passes(dagbag: Any, dag_file: Path) -> None:
    dags = [d for d in dagbag.dags.values() if Path(d.fileloc) == dag_file]
    assert dags, f"{dag_file.name} defines no DAG"
    for dag in dags:
        assert dag_problems(dag) == []


def test_the_integrity_check_fails_a_dag_without_tags(tmp_path: Path) -> None:
    (tmp_path / "untagged.py").write_text(
        textwrap.dedent(
            '''
            """An untagged DAG."""
            from airflow.sdk import dag, task
            from mdp.runtime.dag_defaults import START_DATE, default_args

            @dag(schedule=None, start_date=START_DATE, default_args=default_args,
                 doc_md=__doc__)
            def untagged():
                @task
                def noop():
                    return 1
                noop()

            untagged()
            '''
        )
    )
    bag = load_dagbag(tmp_path)
    assert bag.import_errors == {}
    assert dag_problems(bag.dags["untagged"]) == ["no tags"]


def test_heavy_module_level_imports_in_dags_are_banned() -> None:
    """ruff TID253 applies to dags/: `import pandas` at module level is an error there only."""
    source = "import pandas\n\nprint(pandas)\n"
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID253", "-"]

    def check(filename: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ruff, "--stdin-filename", filename],
            input=source,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
        )

    in_dags = check("dags/example.py")
    assert in_dags.returncode == 1 and "TID253" in in_dags.stdout
    assert check("ml/example.py").returncode == 0


def test_ml_dags_have_a_task_per_catalogue_model_in_dependency_order(dagbag: Any) -> None:
    from mdp.runtime.assets import table_asset
    from ml.catalog import CATALOG

    train, score = dagbag.dags["ml_train"], dagbag.dags["ml_score"]
    assert {t.task_id for t in train.tasks} == {f"train_{m}" for m in CATALOG}
    assert {t.task_id for t in score.tasks} == {f"score_{m}" for m in CATALOG} | {
        "refresh_roi_marts"
    }
    # the ROI marts take the new data-driven credits, without re-triggering the scoring DAG
    refresh = score.get_task("refresh_roi_marts")
    assert refresh.upstream_task_ids == {"score_attribution"} and not refresh.outlets
    for name, entry in CATALOG.items():
        task = score.get_task(f"score_{name}")
        assert [a.uri for a in task.outlets] == [table_asset(entry.score_table).uri]
        assert task.upstream_task_ids == {f"score_{m}" for m in entry.scores_after}
    # LTV reads the churn scores: it scores after churn, even when churn scoring failed
    ltv = score.get_task("score_ltv")
    assert ltv.upstream_task_ids == {"score_churn"} and ltv.trigger_rule == "all_done"


AD_AND_WEB_INGEST_DAGS = ("ingest_facebook_ads", "ingest_google_ads", "ingest_ga4")


@pytest.mark.parametrize("dag_id", AD_AND_WEB_INGEST_DAGS)
def test_a_future_window_in_the_params_fails_the_task_with_one_line(
    dagbag: Any, dag_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Airflow accepts any date for `start`/`end`; the task refuses a window in the future
    (mdp.runtime.dates.run_window, the same check as the CLI) before it reads a connection or
    moves a cursor, and the failure callback logs that one line."""
    import copy
    import logging
    from types import SimpleNamespace

    from mdp.errors import ConfigError
    from mdp.runtime.dag_defaults import log_task_failure
    from mdp.runtime.dates import today

    dag = dagbag.dags[dag_id]
    params = copy.deepcopy(dag.params)
    params["start"] = params["end"] = "2099-01-01"  # checked against the DAG's Param schema
    (task,) = dag.tasks
    with pytest.raises(ConfigError) as error:
        task.python_callable(params=params.validate(), data_interval_start=None, run_id="manual")
    line = f"end 2099-01-01 is in the future (today is {today()})"
    assert str(error.value) == line
    ti = SimpleNamespace(dag_id=dag_id, task_id=task.task_id, run_id="manual")
    with caplog.at_level(logging.ERROR):
        log_task_failure({"task_instance": ti, "exception": error.value})
    assert caplog.messages[-1].endswith(f"error={line}")
