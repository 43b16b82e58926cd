"""`mdp run` / `mdp demo` publish the serving copy after every stage, and `mdp transform` after
its build, while a reader holds the previous copy open."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pytest
from rich.console import Console

from mdp.pipeline import stage_names
from mdp.runtime import pipeline_run
from mdp.warehouse.duckdb import DuckDBWarehouse
from mdp.warehouse.serving import serving_file
from tests.mdp.warehouse.test_serving import ask, count, reader


def test_each_stage_is_published_while_a_reader_holds_the_copy(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    with DuckDBWarehouse(settings.duckdb_file) as warehouse:
        warehouse.merge("raw.leads", pa.table({"id": [0]}), ["id"])
    pipeline_run.publish(settings)

    def run_dags(settings: Any, dag_ids: Any, conf: Any, **_: Any) -> list[Any]:
        # what the copy holds when the stage starts: the previous stage's publication
        seen.append(count(serving_file(settings)))
        with DuckDBWarehouse(settings.duckdb_file) as warehouse:
            warehouse.merge("raw.leads", pa.table({"id": [len(seen)]}), ["id"])
        return []

    monkeypatch.setattr(pipeline_run, "prepare", lambda settings, console: None)
    monkeypatch.setattr(pipeline_run, "run_dags", run_dags)
    with reader(serving_file(settings)) as bi_tool:
        pipeline_run.run_pipeline(settings, {}, None, None, Console(file=io.StringIO()))
        assert ask(bi_tool) == 1  # its snapshot, untouched by five publications
    stages = len(stage_names())
    assert seen == list(range(1, stages + 1))
    assert count(serving_file(settings)) == stages + 1


def test_transform_publishes_what_it_built(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from mdp import cli
    from mdp.runtime import dbt

    def build(settings: Any, args: list[str]) -> int:
        with DuckDBWarehouse(settings.duckdb_file) as warehouse:
            warehouse.merge("raw.leads", pa.table({"id": [1, 2]}), ["id"])
        return 0

    monkeypatch.setattr(dbt, "run_dbt", build)
    result = CliRunner().invoke(cli.app, ["transform"])
    assert result.exit_code == 0, result.output
    assert count(serving_file(settings)) == 2
