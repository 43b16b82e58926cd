"""The reliability benchmark cannot report 0 when rows are lost or duplicated: one source synced
on the tiny world at 10 % faults equals the truth, then rows deleted, copied and changed under
its feet are each counted; the keyless content comparison and the RESULTS.md section too."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from benchmarks._results import goal_checks, refresh_section
from benchmarks.reliability import one_line, run_source
from benchmarks.reliability_sources import Tuning
from benchmarks.reliability_sources.compare import Truth, compare
from benchmarks.reliability_sources.google_ads import truths
from sandbox.emulators.faults import FaultConfig

METRICS = "raw.google_ads_ad_metrics_daily"
#: Timeouts fire after 1 s (the emulator answers a `timeout` fault 0.5 s later still).
TUNING = Tuning(timeout_seconds=1.0, retry_base_seconds=0.01, retry_max_wait_seconds=0.02)


def _tamper(database: Path) -> None:
    """Lose one metrics row, copy a second, change the clicks of a third."""
    with duckdb.connect(str(database)) as con:
        keys = con.execute(
            f"select customer_id, ad_id, date from {METRICS} order by date, ad_id limit 3"
        ).fetchall()
        where = "customer_id = ? and ad_id = ? and date = ?"
        con.execute(f"delete from {METRICS} where {where}", list(keys[0]))
        con.execute(f"insert into {METRICS} select * from {METRICS} where {where}", list(keys[1]))
        con.execute(f"update {METRICS} set clicks = clicks + 1 where {where}", list(keys[2]))


def test_a_faulty_sync_equals_the_truth_and_every_tampered_row_is_counted(
    tiny_world: Any, settings: Any, tmp_path: Path
) -> None:
    # seed 10: several of the tiny world's ~20 Google Ads calls fault
    faults = FaultConfig(rate=0.1, seed=10, slow_seconds=TUNING.slow_seconds)
    database = settings.duckdb_file
    runs = run_source("google_ads", tiny_world, database, tmp_path, faults, TUNING)

    assert [run["error"] for run in runs] == [None]  # no rerun when the first run succeeds
    run = runs[0]
    assert sum(run["faults"].values()) >= 2 and run["retries"] >= 2, run  # the 0s were earned
    assert len(run["tables"]) == 4
    for table in run["tables"]:
        assert table["raw_rows"] == table["truth_rows"] > 0, table
        counts = [table[k] for k in ("lost", "duplicated", "changed", "extra")]
        assert counts == [0, 0, 0, 0], table

    _tamper(database)
    today = tiny_world.config.end + timedelta(days=1)  # the emulator's default clock
    metrics = next(t for t in truths(tiny_world, today) if t.table == METRICS)
    after = compare(database, metrics)
    assert [after[k] for k in ("lost", "duplicated", "changed", "extra")] == [1, 1, 1, 0]
    assert after["raw_rows"] == after["truth_rows"]  # the row count alone would show nothing


def test_a_table_without_keys_is_compared_per_day_by_content(tmp_path: Path) -> None:
    d1, d2 = date(2025, 3, 1), date(2025, 3, 2)
    truth = pa.table({"day": [d1, d1, d1, d2], "event": ["a", "a", "b", "c"]})
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema raw; create table raw.events (day date, event varchar)")
        # one "a" lost, "b" copied, "c" changed to "x" (lost once and extra once), on d2 only
        rows = [(d1, "a"), (d1, "b"), (d1, "b"), (d2, "x")]
        con.executemany("insert into raw.events values (?, ?)", rows)
    figures = compare(database, Truth("raw.events", (), truth, day="day"))
    assert (figures["truth_rows"], figures["raw_rows"]) == (4, 4)
    assert (figures["lost"], figures["duplicated"], figures["extra"]) == (2, 1, 1)
    # a row moved to another day is lost on its day and extra on the other
    with duckdb.connect(str(database)) as con:
        con.execute(f"update raw.events set day = '{d2}', event = 'a' where event = 'x'")
    moved = compare(database, Truth("raw.events", (), truth, day="day"))
    assert (moved["lost"], moved["duplicated"], moved["extra"]) == (2, 1, 1)


def test_a_missing_table_loses_every_row(tmp_path: Path) -> None:
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    truth = Truth("raw.things", ("id",), pa.table({"id": [1, 2, 3], "v": [1.0, 2.0, 3.0]}))
    assert compare(database, truth)["lost"] == 3


def _figures(lost: int, error: str | None) -> dict[str, Any]:
    table = {
        "table": METRICS,
        "truth_rows": 10,
        "raw_rows": 10 - lost,
        "lost": lost,
        "duplicated": 0,
        "changed": 0,
        "extra": 0,
    }
    first = {
        "run": 1,
        "error": error,
        "seconds": 1.0,
        "faults": {"timeout": 2},
        "retries": 2,
        "tables": [table],
    }
    second = {**first, "run": 2, "error": None, "tables": [{**table, "raw_rows": 10, "lost": 0}]}
    runs = [first, second] if error else [first]
    return {
        "scale": "tiny",
        "seed": 42,
        "timeout_s": 1.0,
        "wall_s": 3.0,
        "results": [{"source": "google_ads", "rate": 0.3, "runs": runs}],
    }


def test_results_section_is_refreshed_in_place_and_goals_count_first_runs(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Goals\n\nkept\n\n## Other\n\nkept too\n")
    error = one_line(RuntimeError("GA4 ingestion incomplete:\n- raw.ga4_report_daily: refused"))
    assert error == "RuntimeError: GA4 ingestion incomplete: - raw.ga4_report_daily: refused"
    refresh_section(results, "reliability", _figures(3, error))
    refresh_section(results, "reliability", _figures(0, None))  # the second run replaces it
    text = results.read_text()
    assert text.count("## Reliability under API faults") == 1
    assert text.startswith("# Benchmark results\n\n## Goals\n\nkept\n\n## Other\n\nkept too\n")
    assert "Runs that raised" not in text

    checks = {row[0]: row for row in goal_checks({"reliability": _figures(3, error)})}
    assert checks["rows lost + duplicated, 30% of API calls faulty (first run)"][3] == "FAIL"
    assert checks["runs that raised, 30% of API calls faulty"][1] == "1 of 1"
