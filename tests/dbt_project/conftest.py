"""The dbt project built once per test session on the tiny world, as the pipeline builds it.

Every connector syncs the whole year from its emulator into a fresh DuckDB (the same code the
ingest DAGs run), then `dbt build` runs every model and test. Tests read the marts and compare
them with the world's ground truth.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benchmarks._world_pipeline import ingest_world


@pytest.fixture(scope="session")
def built_warehouse(tiny_world: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The DuckDB file after ingesting the tiny world and `dbt build` (every test passing)."""
    from mdp.settings import get_settings

    home = tmp_path_factory.mktemp("dbt-build")
    path = home / "warehouse.duckdb"
    saved = dict(os.environ)
    os.environ["MDP_DUCKDB_PATH"] = str(path)
    get_settings.cache_clear()
    try:
        ingest_world(tiny_world, home, run_id="dbt-test")
        # a separate process, as users run it (and dbt-duckdb's connection closes with it)
        mdp = Path(sys.executable).parent / "mdp"
        build = subprocess.run(
            [str(mdp), "dbt", "build", "--target-path", str(home / "target")],
            capture_output=True,
            text=True,
            check=False,
            # this checkout's mdp (and so its dbt_project/), whichever one the venv points at
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        assert build.returncode == 0, f"dbt build failed:\n{build.stdout[-6000:]}"
    finally:  # the variables set here must not leak into later tests
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
    yield path


@pytest.fixture(scope="session")
def marts(built_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the built warehouse (schemas raw, staging, intermediate, marts)."""
    con = duckdb.connect(str(built_warehouse), read_only=True)
    yield con
    con.close()


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    """The single value a query returns."""
    return con.execute(sql).fetchone()[0]  # type: ignore[index]


def truth_total(world: Any, source: str, metric: str, period: str = "all") -> float:
    """One figure of the world's `totals` truth table."""
    totals = world.truth["totals"].to_pylist()
    for row in totals:
        if (row["source"], row["metric"], row["period"]) == (source, metric, period):
            return float(row["value"])
    raise KeyError((source, metric, period))
