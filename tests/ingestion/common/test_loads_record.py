"""Every window load_window loads or refuses leaves one row in mdp_meta.loads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from ingestion.common.errors import SchemaChangeError
from ingestion.common.loader import LOADS_TABLE, load_window
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate
from ingestion.common.schema import StreamSchema, fields
from mdp.warehouse.duckdb import DuckDBWarehouse

D1, D2 = date(2025, 1, 1), date(2025, 1, 2)
SCHEMA = StreamSchema(
    table="raw.google_ads_test_metrics",
    keys=("ad_id", "date"),
    fields=fields(("ad_id", pa.string()), ("date", pa.date32()), ("spend", pa.float64())),
    partition_by="date",
)
SUITE = {
    "name": SCHEMA.table,
    "expectations": [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "spend", "min_value": 0},
        }
    ],
}


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> QualityGate:
    suites = tmp_path_factory.mktemp("suites")
    (suites / f"{SCHEMA.table}.json").write_text(json.dumps(SUITE))
    return QualityGate(suites_dir=suites)


@pytest.fixture
def wh(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def batch(day: date, spend: list[float]) -> pa.Table:
    ids = [f"a{i}" for i in range(len(spend))]
    return pa.table({"ad_id": ids, "date": [day] * len(spend), "spend": spend})


def loads(wh: DuckDBWarehouse) -> list[dict]:
    columns = "source_table, window_start, window_end, run_id, rows_loaded, records_quarantined"
    return wh.query(
        f"select {columns}, refused_reason from mdp_meta.loads order by run_id, window_start"
    ).to_pylist()


def test_loaded_quarantined_and_refused_windows_are_recorded(wh, gate) -> None:
    spends = [float(i) for i in range(1, 50)]
    load_window(wh, SCHEMA, [batch(D1, [*spends, -1.0])], (D1, D1), LoadContext("r1"), gate)
    load_window(wh, SCHEMA, [batch(D2, [-1.0] * 20)], (D2, D2), LoadContext("r1"), gate)
    rows = loads(wh)
    assert [r["rows_loaded"] for r in rows] == [49, 0]
    assert [r["records_quarantined"] for r in rows] == [1, 20]  # a refused window: all of it
    assert rows[0]["refused_reason"] is None
    assert "more than the 10 a window may hold" in rows[1]["refused_reason"]
    assert {r["source_table"] for r in rows} == {SCHEMA.table}
    assert (rows[1]["window_start"], rows[1]["window_end"]) == (D2, D2)


def test_rerun_of_a_run_keeps_one_row_per_window_and_a_new_run_adds_one(wh, gate) -> None:
    for run in ("r1", "r1", "r2"):
        load_window(wh, SCHEMA, [batch(D1, [1.0, 2.0])], (D1, D1), LoadContext(run), gate)
    assert [(r["run_id"], r["rows_loaded"]) for r in loads(wh)] == [("r1", 2), ("r2", 2)]


def test_an_empty_window_is_a_load_of_no_rows(wh) -> None:
    load_window(wh, SCHEMA, [], (D1, D2), LoadContext("r1"))
    assert [(r["rows_loaded"], r["refused_reason"]) for r in loads(wh)] == [(0, None)]


def test_a_schema_change_that_stops_the_stream_is_recorded_as_refused(wh, monkeypatch) -> None:
    def refuse(self, table):
        raise SchemaChangeError("declared field spend is no longer sent")

    monkeypatch.setattr(StreamSchema, "conform_records", refuse)
    with pytest.raises(SchemaChangeError):
        load_window(wh, SCHEMA, [batch(D1, [1.0])], (D1, D1), LoadContext("r1"))
    [row] = loads(wh)
    assert row["refused_reason"] == "declared field spend is no longer sent"
    assert wh.table_exists(LOADS_TABLE) and not wh.table_exists(SCHEMA.table)
