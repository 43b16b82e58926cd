"""The serving copy: readers holding it open never block the writer, keep their snapshot, and a
new connection sees the latest publication."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from mdp.errors import WarehouseBusyError
from mdp.settings import Settings, get_settings
from mdp.warehouse.duckdb import DuckDBWarehouse
from mdp.warehouse.serving import (
    ServingCopyMissingError,
    connect_serving,
    publish,
    serving_file,
)
from tests.fixtures.cli import duckdb_held_open, python_child

# A BI tool or notebook: opens the file read-only, then answers "count" with what its open
# connection sees, until stdin closes.
_READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
for line in sys.stdin:
    print(con.execute("select count(*) from raw.leads").fetchone()[0], flush=True)
"""


def load(settings: Settings, first: int, last: int) -> None:
    """Merge leads first..last into raw.leads, as a pipeline stage would."""
    with DuckDBWarehouse(settings.duckdb_file) as warehouse:
        warehouse.merge("raw.leads", pa.table({"id": list(range(first, last + 1))}), ["id"])


def count(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return int(con.execute("select count(*) from raw.leads").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


@contextmanager
def reader(path: Path) -> Iterator[subprocess.Popen[str]]:
    """A process holding a read-only connection to `path` open, answering counts."""
    with python_child(_READER, str(path)) as process:
        yield process


def ask(process: subprocess.Popen[str]) -> int:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("count\n")
    process.stdin.flush()
    return int(process.stdout.readline())


def test_the_copy_sits_beside_the_warehouse_under_serving(settings: Any) -> None:
    assert serving_file(settings) == settings.duckdb_file.parent / "serving" / "warehouse.duckdb"


def test_an_open_reader_keeps_its_snapshot_while_the_writer_loads_and_publishes(
    settings: Any,
) -> None:
    load(settings, 1, 10)
    first = publish(settings)
    assert first is not None and first.path == serving_file(settings) and first.bytes > 0
    with reader(first.path) as bi_tool:
        assert ask(bi_tool) == 10
        load(settings, 11, 25)  # the writer is not blocked by the reader ...
        again = publish(settings)  # ... nor is publishing
        assert again is not None
        assert ask(bi_tool) == 10  # the open connection reads the snapshot it opened
        assert count(again.path) == 25  # a new connection sees the new data
    assert count(settings.duckdb_file) == 25
    assert not list(first.path.parent.glob(".*partial"))


def test_publishing_while_another_process_holds_the_warehouse_is_a_named_error(
    settings: Any,
) -> None:
    load(settings, 1, 3)
    publish(settings)
    with duckdb_held_open(settings.duckdb_file), pytest.raises(WarehouseBusyError):
        publish(settings)
    assert count(serving_file(settings)) == 3  # the old copy is kept


def test_a_write_ahead_log_left_beside_the_copy_is_not_replayed_into_the_new_one(
    settings: Any,
) -> None:
    load(settings, 1, 3)
    published = publish(settings)
    assert published is not None
    stale = Path(f"{published.path}.wal")
    stale.write_bytes(b"left by a tool that opened the copy for writing")
    load(settings, 4, 5)
    publish(settings)
    assert not stale.exists()
    assert count(published.path) == 5


def test_nothing_is_published_on_bigquery_or_before_the_warehouse_exists(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert publish(settings) is None  # no warehouse file yet
    load(settings, 1, 3)
    monkeypatch.setenv("MDP_WAREHOUSE", "bigquery")
    get_settings.cache_clear()
    assert publish(get_settings()) is None
    assert not serving_file(settings).exists()


def test_reading_before_any_publication_says_what_to_run(settings: Any) -> None:
    with pytest.raises(ServingCopyMissingError, match="run `mdp demo` or `mdp run` first"):
        connect_serving(settings)


def test_the_copy_refuses_writes(settings: Any) -> None:
    load(settings, 1, 3)
    publish(settings)
    con = connect_serving(settings)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("delete from raw.leads")
    finally:
        con.close()
