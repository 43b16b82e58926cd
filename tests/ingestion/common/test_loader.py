"""A window reaches raw whole (conformed, validated, merged) or goes to quarantine, with why."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from ingestion.common.loader import load_window
from ingestion.common.metadata import LOAD_COLUMNS, LoadContext
from ingestion.common.quality import QualityGate
from ingestion.common.schema import StreamSchema, fields
from mdp.warehouse.duckdb import DuckDBWarehouse

D1, D2 = date(2025, 1, 1), date(2025, 1, 2)
SCHEMA = StreamSchema(
    table="raw.test_ads",
    keys=("ad_id", "date"),
    fields=fields(
        ("ad_id", pa.string()),
        ("date", pa.date32()),
        ("spend", pa.float64()),
        ("impressions", pa.int64()),
        ("clicks", pa.int64()),
    ),
    partition_by="date",
)
SUITE = {
    "name": "raw.test_ads",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ad_id"}},
        {"type": "expect_compound_columns_to_be_unique",
         "kwargs": {"column_list": ["ad_id", "date"]}},
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "spend",
                                                                  "min_value": 0}},
        {"type": "expect_column_pair_values_a_to_be_greater_than_b",
         "kwargs": {"column_A": "impressions", "column_B": "clicks", "or_equal": True}},
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> QualityGate:
    suites = tmp_path_factory.mktemp("suites")
    (suites / "raw.test_ads.json").write_text(json.dumps(SUITE))
    return QualityGate(docs_dir=tmp_path_factory.mktemp("docs"), suites_dir=suites)


@pytest.fixture
def wh(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def rows(day: date, spend: list[float], ids: list[str | None] | None = None, **extra) -> pa.Table:
    ids = ids or [f"a{i}" for i in range(len(spend))]
    data = {
        "ad_id": ids,
        "date": [day] * len(spend),
        "spend": spend,
        "impressions": [100] * len(spend),
        "clicks": [5] * len(spend),
    }
    return pa.table({**data, **extra})


def quarantined(wh: DuckDBWarehouse) -> list[dict]:
    return wh.query(
        "select reason, count(*) as n from quarantine.test_ads group by reason order by reason"
    ).to_pylist()


def test_good_window_merges_and_rerun_is_identical(wh, gate) -> None:
    result = load_window(
        wh,
        SCHEMA,
        [rows(D1, [1.0, 2.0])],
        (D1, D1),
        LoadContext("r1"),
        gate,
        source_totals={"spend": 3.0},
    )
    assert result.loaded and result.rows == 2
    first = wh.checksum("raw.test_ads", exclude=[*LOAD_COLUMNS])
    load_window(
        wh, SCHEMA, [rows(D1, [1.0]), rows(D1, [2.0], ["a1"])], (D1, D1), LoadContext("r2"), gate
    )
    assert wh.checksum("raw.test_ads", exclude=[*LOAD_COLUMNS]) == first


@pytest.mark.parametrize(
    ("batch", "reason"),
    [
        (rows(D1, [1.0, 2.0], ["a0", None]), "expect_column_values_to_not_be_null"),
        (rows(D1, [1.0, -2.0]), "expect_column_values_to_be_between"),
        (rows(D1, [1.0, 2.0], ["a0", "a0"]), "expect_compound_columns_to_be_unique"),
        (rows(D1, [1.0]).drop_columns(["spend"]), "required field 'spend' is missing"),
        (rows(D1, [1.0]).set_column(2, "spend", pa.array(["lots"])), "field 'spend' changed type"),
        (rows(D2, [1.0]), "expect_column_values_to_be_between"),  # outside the requested window
    ],
    ids=[
        "null-key",
        "negative-spend",
        "duplicate-ids",
        "missing-column",
        "type-change",
        "date-outside-window",
    ],
)
def test_bad_window_is_quarantined_with_its_reason(wh, gate, batch, reason) -> None:
    result = load_window(wh, SCHEMA, [batch], (D1, D1), LoadContext("r1"), gate)
    assert not result.loaded
    assert reason in result.reason
    assert not wh.table_exists("raw.test_ads")  # nothing of it reached raw
    kept = wh.query("select row_json from quarantine.test_ads").column("row_json").to_pylist()
    assert len(kept) == batch.num_rows  # every row kept, nothing lost


def test_reconciliation_against_api_totals(wh, gate) -> None:
    result = load_window(
        wh,
        SCHEMA,
        [rows(D1, [1.0, 2.0])],
        (D1, D1),
        LoadContext("r1"),
        gate,
        source_totals={"spend": 4.0},
    )
    assert not result.loaded and "expect_column_sum_to_be_between" in result.reason


def test_other_windows_still_load(wh, gate) -> None:
    bad = load_window(wh, SCHEMA, [rows(D1, [-1.0])], (D1, D1), LoadContext("r1"), gate)
    good = load_window(wh, SCHEMA, [rows(D2, [5.0])], (D2, D2), LoadContext("r1"), gate)
    assert (bad.loaded, good.loaded) == (False, True)
    assert wh.query("select date, spend from raw.test_ads").to_pylist() == [
        {"date": D2, "spend": 5.0}
    ]
    assert len(quarantined(wh)) == 1


def test_unknown_fields_are_kept_not_dropped(wh, gate) -> None:
    load_window(wh, SCHEMA, [rows(D1, [1.0], new_metric=[42])], (D1, D1), LoadContext("r"), gate)
    extra = wh.query("select _mdp_extra from raw.test_ads").column(0)[0].as_py()
    assert json.loads(extra) == {"new_metric": 42}
