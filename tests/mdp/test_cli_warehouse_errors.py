"""The real `mdp` command when the warehouse cannot take the work: held by another process, or
no room to write. One `error:` line with the cause, the file and what to do; no traceback;
nothing lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mdp.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.cli import duckdb_held_open, one_line_error, run_mdp

CURSOR = "ga4.events.cursor"


@pytest.fixture
def warehouse_file(settings: Any) -> Path:
    path: Path = settings.duckdb_file
    with DuckDBWarehouse(path) as warehouse:
        warehouse.set_state(CURSOR, "2025-12-31")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["state", "show"],  # the warehouse layer opening the file
        ["state", "reset", "ga4", "events", "--yes"],
        ["report"],
        ["transform"],  # dbt would open it: refused before dbt prints its tracebacks
    ],
)
def test_a_warehouse_held_by_another_process_is_one_line_with_its_pid(
    warehouse_file: Path, args: list[str]
) -> None:
    with duckdb_held_open(warehouse_file) as holder:
        result = run_mdp(*args, env={"MDP_DUCKDB_PATH": str(warehouse_file)})
    line = one_line_error(result)
    assert line.startswith(
        f"error: warehouse file {warehouse_file} is in use by another process (python"
    )
    assert f"PID {holder.pid}); wait for it to finish or close the program" in line
    with DuckDBWarehouse(warehouse_file) as warehouse:
        assert warehouse.get_state(CURSOR) == "2025-12-31"


def test_no_space_to_write_is_one_line_naming_the_file_and_nothing_changes(
    warehouse_file: Path,
) -> None:
    # a file-size limit of 0 bytes: the commit's write-ahead log cannot be written
    result = run_mdp(
        "state",
        "reset",
        "ga4",
        "events",
        "--yes",
        env={"MDP_DUCKDB_PATH": str(warehouse_file)},
        file_size_limit=0,
    )
    line = one_line_error(result)
    assert line == (
        f"error: deleting state key '{CURSOR}' failed: no space to write {warehouse_file}.wal "
        "(File too large: the file size limit, ulimit -f, was reached); it was rolled back and "
        "the warehouse is as it was; free disk space or raise the limit, then rerun"
    )
    with DuckDBWarehouse(warehouse_file) as warehouse:
        assert warehouse.get_state(CURSOR) == "2025-12-31"


def test_only_dbt_commands_that_connect_are_checked_first() -> None:
    from mdp.runtime.dbt import opens_warehouse

    assert opens_warehouse(["build", "--select", "marts.web"])
    assert opens_warehouse(["--quiet", "run"]) and opens_warehouse(["docs", "generate"])
    assert not opens_warehouse(["parse"]) and not opens_warehouse(["deps"])
    assert not opens_warehouse(["--version"]) and not opens_warehouse([])


def test_a_clean_up_failing_after_a_user_error_still_shows_that_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mdp import cli
    from mdp.errors import WarehouseFullError

    def command() -> None:
        try:
            raise WarehouseFullError("load into raw.t failed: no space to write /w.duckdb.wal")
        finally:  # e.g. docs published in a `finally`, failing on the same full disk
            raise OSError(27, "File too large")

    monkeypatch.setattr(cli, "app", command)
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)  # keep pytest's logging
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    assert capsys.readouterr().err.strip() == (
        "error: load into raw.t failed: no space to write /w.duckdb.wal (a later step failed "
        "too: OSError: [Errno 27] File too large)"
    )


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from mdp import cli

    def command() -> None:
        raise KeyError("not a user error")

    monkeypatch.setattr(cli, "app", command)
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)  # keep pytest's logging
    with pytest.raises(KeyError):
        cli.main()
