"""GA4 export loader: nested schema kept, a day is replaced atomically, reruns are idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.ga4 import RAW_EVENTS_TABLE, load_export_day
from ingestion.ga4.errors import ExportNotReadyError
from mdp.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.ga4_export import write_export_day

METADATA = ["_mdp_run_id", "_mdp_loaded_at", "_mdp_extracted_at"]
D1, D2 = date(2025, 3, 1), date(2025, 3, 2)


@pytest.fixture
def wh(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def test_loads_day_with_nested_fields_and_metadata(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    write_export_day(tmp_path, D1, users=4)
    result = load_export_day(wh, tmp_path, D1, run_id="run-1")
    assert result.rows == 12
    row = wh.query(
        f"select event_params, device.category as device, _mdp_run_id, _mdp_partition_date "
        f"from {RAW_EVENTS_TABLE} order by event_timestamp limit 1"
    ).to_pylist()[0]
    assert row["event_params"][0] == {
        "key": "ga_session_id",
        "value": {
            "string_value": None,
            "int_value": 1_700_000_000,
            "float_value": None,
            "double_value": None,
        },
    }
    assert row["device"] == "mobile"
    assert (row["_mdp_run_id"], row["_mdp_partition_date"]) == ("run-1", D1)


def test_rerun_and_backfill_order_give_identical_checksums(
    wh: DuckDBWarehouse, tmp_path: Path
) -> None:
    for day in (D1, D2):
        write_export_day(tmp_path, day)
    load_export_day(wh, tmp_path, D1, "a")
    load_export_day(wh, tmp_path, D2, "a")
    first = wh.checksum(RAW_EVENTS_TABLE, exclude=METADATA)
    load_export_day(wh, tmp_path, D2, "b")
    load_export_day(wh, tmp_path, D1, "b")
    assert wh.checksum(RAW_EVENTS_TABLE, exclude=METADATA) == first
    assert first.rows == 18


def test_restated_day_replaces_the_old_rows(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    write_export_day(tmp_path, D1, users=2)
    load_export_day(wh, tmp_path, D1, "a")
    write_export_day(tmp_path, D1, users=5)  # GA4 finished processing the day: more events
    load_export_day(wh, tmp_path, D1, "b")
    count = wh.query(f"select count(*) as n from {RAW_EVENTS_TABLE}").column("n")[0].as_py()
    assert count == 15


def test_missing_export_is_a_clear_error(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    with pytest.raises(ExportNotReadyError, match="no GA4 export for 2025-03-01"):
        load_export_day(wh, tmp_path, D1, "a")
