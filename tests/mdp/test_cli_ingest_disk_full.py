"""`mdp ingest` against the emulators when the disk fills up mid-run (a file-size limit): one
line naming the table, the file and the cause; the rerun loads exactly what an undisturbed run
loads."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mdp.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.cli import one_line_error, run_mdp

pytestmark = pytest.mark.sandbox

WINDOW = ("--start", "2025-12-01", "--end", "2025-12-31")
RUN_COLUMNS = ("_mdp_run_id", "_mdp_extracted_at", "_mdp_loaded_at")  # differ per run


@pytest.fixture
def sandbox(settings: Any) -> Iterator[dict[str, Any]]:
    """The emulators on the tiny world (seed 42)."""
    from mdp.runtime import sandbox_process

    try:
        yield sandbox_process.start(settings, "tiny", 42, 0.0, replace=True)
    finally:
        sandbox_process.stop(settings)


def ingest(path: Path, file_size_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    return run_mdp(
        "ingest",
        "facebook_ads",
        *WINDOW,
        env={"MDP_DUCKDB_PATH": str(path)},
        file_size_limit=file_size_limit,
    )


def loaded(path: Path) -> dict[str, Any]:
    """Each raw table's content (run stamps aside) and the source's cursors."""
    with DuckDBWarehouse(path) as warehouse:
        tables = {
            name: warehouse.checksum(f"raw.{name}", exclude=RUN_COLUMNS)
            for name in warehouse.list_tables("raw")
        }
        cursors = {e.key: e.value for e in warehouse.list_state("facebook_ads.")}
    return {"tables": tables, "cursors": cursors}


def test_disk_full_mid_ingest_is_one_line_and_the_rerun_loses_nothing(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    reference = tmp_path / "reference.duckdb"
    undisturbed = ingest(reference)
    assert undisturbed.returncode == 0, undisturbed.stderr
    # the run's summary, not every library's INFO lines (importing Airflow must not turn
    # them back on)
    assert "[info" not in undisturbed.stdout.lower(), undisturbed.stdout[:2000]
    assert "'rows'" in undisturbed.stdout

    path = tmp_path / "w.duckdb"
    with DuckDBWarehouse(path) as warehouse:  # the file exists: the limit bites on the loads
        warehouse.ensure_schema("raw")
    # no traceback anywhere: the data docs that cannot be written either are only a warning
    line = one_line_error(ingest(path, file_size_limit=16 * 1024))
    assert re.fullmatch(
        r"error: load into raw\.facebook_ads_\w+ failed: no space to write "
        + re.escape(str(path))
        + r"(\.wal)? \(File too large: the file size limit, ulimit -f, was reached\); it was "
        r"rolled back and the warehouse is as it was; free disk space or raise the limit, "
        r"then rerun( \(a later step failed too: OSError: \[Errno 27\] File too large\))?",
        line,
    ), line

    rerun = ingest(path)
    assert rerun.returncode == 0, rerun.stderr
    assert loaded(path) == loaded(reference)
