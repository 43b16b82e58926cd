"""The dbt tests read the marts of the session's `built_warehouse` (tests/conftest.py: the tiny
world ingested by every connector, then `dbt build`) and compare them with the world's truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest


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
