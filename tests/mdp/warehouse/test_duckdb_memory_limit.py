"""The DuckDB memory cap applies to the platform's connection without locking out the other
in-process connections to the same file (dbt's, a task's), which open it with no config."""

from __future__ import annotations

from pathlib import Path

import duckdb

from mdp.settings import Settings
from mdp.warehouse import get_warehouse


def test_memory_limit_is_set_and_a_plain_connection_still_opens(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, duckdb_memory_limit="512MB")
    with get_warehouse(settings) as warehouse:
        (row,) = warehouse.query("select current_setting('memory_limit') as m").to_pylist()
        assert row["m"] == "488.2 MiB"  # DuckDB reports 512 MB in MiB
        other = duckdb.connect(str(settings.duckdb_file))  # raised ConnectionException before
        assert other.sql("select 1").fetchall() == [(1,)]
        other.close()
