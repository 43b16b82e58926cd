"""DuckDB when the file is not available for the work: another process holds it, or the disk
(here: a file-size limit) has no room. Each is a named one-line error that says what to do,
and the warehouse keeps what it held."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from mdp.errors import WarehouseBusyError, WarehouseError
from mdp.warehouse.duckdb import DuckDBWarehouse, busy_error, full_error
from tests.fixtures.cli import duckdb_held_open

DAY = date(2025, 1, 1)

# Loads `rows` rows in a process whose files may not grow past `limit` bytes; prints the
# error it got (None when the load went through).
_LOAD_UNDER_LIMIT = """
import json, resource, signal, sys
from datetime import date
import pyarrow as pa
from mdp.errors import MdpError
from mdp.warehouse.duckdb import DuckDBWarehouse

path, how, rows, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
day = date(2025, 1, 1)
batch = pa.table({
    "ad_id": pa.array(range(rows)),
    "date": pa.array([day] * rows),
    "note": pa.array([f"new row {i}" for i in range(rows)]),
})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG "File too large", not a killed process
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
with DuckDBWarehouse(path) as warehouse:
    try:
        if how == "merge":
            warehouse.merge("raw.spend", batch, keys=["ad_id"])
        else:
            warehouse.replace_partitions("raw.spend", {day: batch}, column="date")
    except MdpError as error:
        print(json.dumps({"error": type(error).__name__, "message": str(error)}))
        sys.exit(1)
print(json.dumps({"error": None}))
"""


def seed(path: Path) -> None:
    """100 rows of the day and a cursor."""
    batch = pa.table(
        {"ad_id": list(range(100)), "date": [DAY] * 100, "note": [f"old {i}" for i in range(100)]}
    )
    with DuckDBWarehouse(path) as warehouse:
        warehouse.merge("raw.spend", batch, keys=["ad_id"])
        warehouse.set_state("google_ads.ad_metrics_daily.cursor", "2025-01-01")


def contents(path: Path) -> tuple[object, ...]:
    with DuckDBWarehouse(path) as warehouse:
        return (
            warehouse.checksum("raw.spend"),
            warehouse.list_tables("raw"),
            warehouse.get_state("google_ads.ad_metrics_daily.cursor"),
        )


def load_under_limit(path: Path, how: str, rows: int, limit: int) -> str:
    """The message of the WarehouseFullError the capped load got."""
    child = subprocess.run(
        [sys.executable, "-c", _LOAD_UNDER_LIMIT, str(path), how, str(rows), str(limit)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert "Traceback" not in child.stderr, child.stderr
    outcome = json.loads(child.stdout)
    assert outcome["error"] == "WarehouseFullError", outcome
    message: str = outcome["message"]
    assert "\n" not in message
    return message


def test_a_second_writer_is_told_which_process_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    seed(path)
    with (
        duckdb_held_open(path) as holder,
        pytest.raises(WarehouseBusyError) as caught,
        DuckDBWarehouse(path) as warehouse,
    ):
        warehouse.get_state("google_ads.ad_metrics_daily.cursor")
    message = str(caught.value)
    assert message.startswith(f"warehouse file {path} is in use by another process (python")
    assert f"PID {holder.pid})" in message
    assert "wait for it to finish or close the program" in message and "\n" not in message
    assert not isinstance(caught.value, WarehouseError)  # loaders must not quarantine on it
    assert contents(path)[2] == "2025-01-01"  # free again once the other process is gone


@pytest.mark.parametrize(
    ("how", "rows", "headroom", "full_file"),
    [
        # a small batch goes to the write-ahead log at COMMIT, which cannot grow at all
        ("merge", 20_000, None, "w.duckdb.wal"),
        ("replace_partitions", 20_000, None, "w.duckdb.wal"),
        # a big batch is written into the database file itself while it is inserted
        ("merge", 300_000, 64_000, "w.duckdb"),
        ("replace_partitions", 300_000, 64_000, "w.duckdb"),
    ],
)
def test_no_space_names_the_cause_and_the_file_and_keeps_the_warehouse(
    tmp_path: Path, how: str, rows: int, headroom: int | None, full_file: str
) -> None:
    path = tmp_path / "w.duckdb"
    seed(path)
    before = contents(path)
    limit = 1 if headroom is None else path.stat().st_size + headroom
    message = load_under_limit(path, how, rows, limit)
    assert message.startswith(f"load into raw.spend failed: no space to write {tmp_path}/")
    assert f"{full_file} (File too large: the file size limit" in message
    assert "rolled back and the warehouse is as it was" in message
    assert "free disk space or raise the limit" in message and "\n" not in message
    assert "cannot rollback" not in message and "aborted" not in message
    assert contents(path) == before  # reopened: the old rows and the cursor, nothing half-done


def test_a_new_warehouse_without_space_leaves_no_half_written_file(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    message = load_under_limit(path, "merge", 10, 4096)  # smaller than DuckDB's file header
    assert message == (
        f"opening the warehouse file {path} failed: no space to write {path} (File too large: "
        "the file size limit, ulimit -f, was reached); the half-written new file was removed; "
        "free disk space or raise the limit, then rerun"
    )
    assert not list(tmp_path.iterdir())  # a 4 KB stub would refuse every later open
    seed(path)
    assert contents(path)[2] == "2025-01-01"


def test_only_lock_and_space_failures_are_renamed() -> None:
    other = duckdb.IOException('IO Error: Cannot open file "/x/w.duckdb": Permission denied')
    assert busy_error(other) is None
    assert full_error("load into raw.t", other) is None
    durable = duckdb.FatalException(
        "Transaction COMMIT succeeded and is durable, but the autocheckpoint failed. Failed to "
        'create checkpoint because of error: Could not write file "/x/w.duckdb": No space left '
        "on device"
    )
    full = full_error("load into raw.t", durable)
    assert full is not None
    assert str(full).startswith("load into raw.t was committed to DuckDB's log, but there was ")
    assert "/x/w.duckdb (No space left on device: the disk is full)" in str(full)
