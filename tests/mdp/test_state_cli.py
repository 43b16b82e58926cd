"""`mdp state show|reset`: the ingestion cursors as a table, and a stream restarted as a first
sync, with unknown names refused in one line (exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mdp.cli import app
from mdp.errors import UnknownCursorError
from mdp.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.cli import one_line_error, run_mdp

runner = CliRunner()
WIDE = {"COLUMNS": "200"}
STORED = {
    "salesforce.Lead.cursor": "2025-12-31T23:59:59.000Z",
    "salesforce.Account.cursor": "2025-12-31T23:31:18.000Z",
    "google_ads.ad_metrics_daily.cursor": "2025-12-31",
    "demo.sandbox": "small-seed42",  # not a cursor: never shown
}


@pytest.fixture
def cursors(settings: Any) -> Path:
    path: Path = settings.duckdb_file
    with DuckDBWarehouse(path) as warehouse:
        for key, value in STORED.items():
            warehouse.set_state(key, value)
    return path


def stored(path: Path) -> dict[str, str]:
    with DuckDBWarehouse(path) as warehouse:
        return {entry.key: entry.value for entry in warehouse.list_state()}


def test_show_lists_every_cursor_with_its_update_time(cursors: Path) -> None:
    result = runner.invoke(app, ["state", "show"], env=WIDE)
    assert result.exit_code == 0, result.output
    rows = [line.split("│") for line in result.output.splitlines() if "│" in line]
    table = [tuple(cell.strip() for cell in row) for row in rows]
    assert [row[:3] for row in table] == [
        ("google_ads", "ad_metrics_daily", "2025-12-31"),
        ("salesforce", "Account", "2025-12-31T23:31:18.000Z"),
        ("salesforce", "Lead", "2025-12-31T23:59:59.000Z"),
    ]
    assert all(len(row[3]) == len("2025-12-31 23:59") for row in table)  # updated, UTC
    assert "demo" not in result.output
    assert "mdp state reset SOURCE STREAM" in result.output


def test_show_one_source_and_a_source_without_cursors(cursors: Path) -> None:
    one = runner.invoke(app, ["state", "show", "salesforce"], env=WIDE)
    assert one.exit_code == 0, one.output
    assert "Lead" in one.output and "google_ads" not in one.output
    none = runner.invoke(app, ["state", "show", "ga4"], env=WIDE)
    assert none.exit_code == 0, none.output
    assert "no cursor stored for ga4 yet: its next run is a first sync" in none.output


def test_reset_with_yes_deletes_only_that_cursor_and_says_what_comes_next(cursors: Path) -> None:
    result = runner.invoke(app, ["state", "reset", "salesforce", "Lead", "--yes"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert (
        "salesforce.Lead.cursor is 2025-12-31T23:59:59.000Z; without it, the next salesforce run "
        "reads Lead's whole history, up to now (a first sync) and stores a new cursor."
    ) in result.output
    assert "cursor salesforce.Lead.cursor reset (it was 2025-12-31T23:59:59.000Z)" in result.output
    left = {k: v for k, v in STORED.items() if k != "salesforce.Lead.cursor"}
    assert stored(cursors) == left


def test_reset_asks_first_and_no_keeps_the_cursor(cursors: Path) -> None:
    kept = runner.invoke(
        app, ["state", "reset", "google_ads", "ad_metrics_daily"], input="n\n", env=WIDE
    )
    assert kept.exit_code == 1
    assert "Reset this cursor? [y/N]" in kept.output
    assert "cursor kept; nothing changed" in kept.output
    assert "no catch-up of missed days" in kept.output
    assert stored(cursors) == STORED
    done = runner.invoke(
        app, ["state", "reset", "google_ads", "ad_metrics_daily"], input="y\n", env=WIDE
    )
    assert done.exit_code == 0, done.output
    assert "google_ads.ad_metrics_daily.cursor" not in stored(cursors)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["show", "hubspot"],
            "unknown source 'hubspot'; sources: ga4, facebook_ads, google_ads, salesforce",
        ),
        (
            ["reset", "salesforce", "Leads", "--yes"],
            "salesforce has no cursor for stream 'Leads'; streams with a cursor: Account, Lead",
        ),
        (
            ["reset", "ga4", "events", "--yes"],
            "ga4 has no stored cursor, so stream 'events' has none to reset: its next run is a "
            "first sync already",
        ),
    ],
)
def test_unknown_names_are_a_usage_error(cursors: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["state", *args])
    assert isinstance(result.exception, UnknownCursorError)
    assert str(result.exception) == message
    assert result.exception.exit_code == 2
    assert stored(cursors) == STORED


def test_unknown_stream_through_the_real_cli_is_one_line_and_exit_2(cursors: Path) -> None:
    result = run_mdp("state", "reset", "salesforce", "Leads", "--yes")
    line = one_line_error(result, exit_code=2)
    assert line == (
        "error: salesforce has no cursor for stream 'Leads'; streams with a cursor: Account, Lead"
    )
