"""`mdp sql`: SQL on the serving copy, one statement (-c) or a shell; it works while the
pipeline holds the warehouse, and every refusal is one line."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from rich.console import Console

from mdp.warehouse.duckdb import DuckDBWarehouse
from mdp.warehouse.serving import publish, serving_file
from mdp.warehouse.shell import run_shell
from tests.fixtures.cli import duckdb_held_open, one_line_error, run_mdp


@pytest.fixture
def published(settings: Any) -> Path:
    with DuckDBWarehouse(settings.duckdb_file) as warehouse:
        warehouse.merge(
            "marts.fct_leads",
            pa.table({"lead_id": ["a", "b", "c"], "channel": ["Paid Search", "Email", None]}),
            ["lead_id"],
        )
    publish(settings)
    path: Path = settings.duckdb_file
    return path


def words(output: str) -> list[list[str]]:
    """Each printed line's words, without the table's rules and separators."""
    lines = [
        [w for w in line.split() if not set(w) <= set("│┃━─╇┼")] for line in output.splitlines()
    ]
    return [line for line in lines if line]


def test_a_query_runs_while_the_pipeline_holds_the_warehouse(published: Path) -> None:
    with duckdb_held_open(published):  # the writer, mid-run
        result = run_mdp(
            "sql",
            "-c",
            "select count(*) as leads from marts.fct_leads",
            env={"MDP_DUCKDB_PATH": str(published)},
        )
    assert result.returncode == 0, result.stderr
    assert words(result.stdout) == [["leads"], ["3"], ["(1", "row)"]]


def test_rows_are_a_table_with_nulls_shown(published: Path) -> None:
    result = run_mdp(
        "sql",
        "-c",
        "select lead_id, channel from marts.fct_leads order by lead_id",
        env={"MDP_DUCKDB_PATH": str(published)},
    )
    lines = words(result.stdout)
    assert lines[0] == ["lead_id", "channel"]
    assert ["c", "NULL"] in lines and ["a", "Paid", "Search"] in lines
    assert lines[-1] == ["(3", "rows)"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "select * from marts.nope",
            "error: query failed: Catalog Error: Table with name nope does not exist!",
        ),
        ("selec 1", 'error: query failed: Parser Error: syntax error at or near "selec"'),
        (
            "delete from marts.fct_leads",
            'error: query failed: Invalid Input Error: Cannot execute statement of type "DELETE"',
        ),
    ],
)
def test_bad_sql_is_one_line(published: Path, query: str, expected: str) -> None:
    result = run_mdp("sql", "-c", query, env={"MDP_DUCKDB_PATH": str(published)})
    assert one_line_error(result).startswith(expected)


def test_no_serving_copy_says_to_run_the_pipeline(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    result = run_mdp("sql", "-c", "select 1", env={"MDP_DUCKDB_PATH": str(warehouse)})
    assert one_line_error(result) == (
        f"error: no serving copy at {tmp_path / 'serving' / 'warehouse.duckdb'} yet: run "
        "`mdp demo` or `mdp run` first (the pipeline publishes it after each stage)"
    )


def test_on_bigquery_it_points_to_bigquery(tmp_path: Path) -> None:
    result = run_mdp(
        "sql", "-c", "select 1", env={"MDP_WAREHOUSE": "bigquery", "MDP_HOME": str(tmp_path)}
    )
    assert one_line_error(result, exit_code=2).startswith(
        "error: mdp sql reads the DuckDB serving copy; on BigQuery query the datasets directly"
    )


def typed(*lines: str) -> Any:
    feed: Iterator[str] = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    return read


def test_the_shell_runs_statements_across_lines_and_survives_errors(
    settings: Any, published: Path
) -> None:
    out = io.StringIO()
    run_shell(
        settings,
        Console(file=out, width=200),
        typed(
            "select count(*)",
            "as n from marts.fct_leads;",
            "select * from nope;",
            ".tables",
            "select 42 as answer;",
        ),
    )
    text = out.getvalue()
    assert f"SQL on the serving copy {serving_file(settings)} (read-only" in text
    assert "error: query failed: Catalog Error: Table with name nope does not exist!" in text
    assert "marts.fct_leads" in text and "BASE TABLE" in text
    assert "42" in text and text.count("(1 row)") == 3


def test_the_shell_sees_each_new_publication(settings: Any, published: Path) -> None:
    out = io.StringIO()
    statements = ["select count(*) as n from marts.fct_leads;"]

    def read(prompt: str) -> str:
        if not statements:
            raise EOFError
        if len(statements) == 1 and "(1 row)" in out.getvalue():
            with DuckDBWarehouse(settings.duckdb_file) as warehouse:
                warehouse.merge("marts.fct_leads", pa.table({"lead_id": ["d"]}), ["lead_id"])
            publish(settings)
        return statements.pop()

    statements.append("select count(*) as n from marts.fct_leads;")
    run_shell(settings, Console(file=out, width=200), read)
    counts = [line.strip() for line in out.getvalue().splitlines() if line.strip().isdigit()]
    assert counts == ["3", "4"]


def test_quit_leaves_the_shell(settings: Any, published: Path) -> None:
    out = io.StringIO()
    run_shell(settings, Console(file=out), typed(".quit", "select 1;"))
    assert "(1 row)" not in out.getvalue()


def test_a_tool_holding_the_copy_for_writing_is_one_line_and_never_blocks_publishing(
    settings: Any, published: Path
) -> None:
    copy = serving_file(settings)
    with duckdb_held_open(copy) as tool:  # a BI tool connected without read-only
        result = run_mdp("sql", "-c", "select 1", env={"MDP_DUCKDB_PATH": str(published)})
        assert publish(settings) is not None  # the writer goes on
    line = one_line_error(result)
    assert line.startswith(f"error: warehouse file {copy} is in use by another process (python")
    assert f"PID {tool.pid})" in line
    assert line.endswith("then retry; connect BI tools and notebooks to the serving copy read-only")
    after = run_mdp("sql", "-c", "select 1 as one", env={"MDP_DUCKDB_PATH": str(published)})
    assert after.returncode == 0, after.stderr
