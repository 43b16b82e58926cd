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


def many(day: date, n: int = 200) -> pa.Table:
    return rows(day, [float(i + 1) for i in range(n)])


def with_value(table: pa.Table, column: str, row: int, value: object) -> pa.Table:
    values = table.column(column).to_pylist()
    values[row] = value
    index = table.column_names.index(column)
    return table.set_column(index, column, pa.array(values, table.schema.field(column).type))


def as_text(table: pa.Table, column: str, row: int, value: str) -> pa.Table:
    values = [str(v) for v in table.column(column).to_pylist()]
    values[row] = value
    return table.set_column(table.column_names.index(column), column, pa.array(values))


def quarantine_rows(wh: DuckDBWarehouse) -> list[dict]:
    return wh.query(
        "select reason, row_json from quarantine.test_ads order by batch_id, row_number"
    ).to_pylist()


@pytest.mark.parametrize(
    ("batch", "bad_rows", "reason"),
    [
        (with_value(many(D1), "ad_id", 7, None), [7], "expect_column_values_to_not_be_null"),
        (with_value(many(D1), "spend", 7, -2.0), [7], "expect_column_values_to_be_between"),
        (with_value(many(D1), "ad_id", 7, "a8"), [7, 8], "expect_compound_columns_to_be_unique"),
        (as_text(many(D1), "spend", 7, "lots"), [7], "field 'spend': 'lots' is not a double"),
        (with_value(many(D1), "spend", 7, float("nan")), [7], "field 'spend' is NaN"),
        (with_value(many(D1), "spend", 7, float("inf")), [7], "field 'spend' is infinite"),
        (with_value(many(D1), "date", 7, D2), [7], "expect_column_values_to_be_between"),
    ],
    ids=["null-key", "negative-spend", "duplicate-ids", "retyped", "nan", "inf", "stray-date"],
)
def test_bad_record_is_quarantined_and_the_rest_of_its_window_loads(
    wh, gate, batch, bad_rows, reason
) -> None:
    result = load_window(wh, SCHEMA, [batch], (D1, D1), LoadContext("r1"), gate)
    assert result.loaded and result.quarantined_rows == len(bad_rows)
    assert result.rows == batch.num_rows - len(bad_rows)
    assert reason in result.reason
    loaded = wh.query("select count(*) as n from raw.test_ads").column("n")[0].as_py()
    assert loaded == batch.num_rows - len(bad_rows)  # every good record loaded
    kept = quarantine_rows(wh)
    assert len(kept) == len(bad_rows) and all(reason in k["reason"] for k in kept)
    # the record as the source sent it, not blanked: e.g. the text 'lots' for a number
    sent = [json.loads(k["row_json"]) for k in kept]
    expected = [batch.slice(r, 1).to_pylist()[0] for r in bad_rows]
    assert json.dumps(sent, default=str, sort_keys=True) == json.dumps(
        expected, default=str, sort_keys=True
    )


def test_too_many_bad_records_hold_back_the_window(wh, gate) -> None:
    batch = many(D1, 100)
    for row in range(0, 100, 5):  # 20 of 100 bad: more than max(10, 1 %)
        batch = with_value(batch, "spend", row, -1.0)
    result = load_window(wh, SCHEMA, [batch], (D1, D1), LoadContext("r1"), gate)
    assert not result.loaded and "20 of 100 records are bad" in result.reason
    assert not wh.table_exists("raw.test_ads")
    kept = quarantine_rows(wh)
    assert len(kept) == 100  # nothing lost: the good records wait with their window
    own = [k for k in kept if k["reason"].startswith("breaks expect_column_values_to_be_between")]
    assert len(own) == 20


def test_the_allowance_is_configurable(wh, gate, monkeypatch) -> None:
    monkeypatch.setenv("MDP_INGEST__MAX_BAD_RECORDS", "0")
    monkeypatch.setenv("MDP_INGEST__MAX_BAD_SHARE", "0")
    from mdp.settings import get_settings

    get_settings.cache_clear()
    try:
        batch = with_value(many(D1), "spend", 3, -1.0)
        result = load_window(wh, SCHEMA, [batch], (D1, D1), LoadContext("r1"), gate)
    finally:
        get_settings.cache_clear()
    assert not result.loaded and "more than the 0 a window may hold" in result.reason


@pytest.mark.parametrize(
    ("batch", "reason"),
    [
        (rows(D1, [1.0]).drop_columns(["spend"]), "required field 'spend' is missing"),
    ],
    ids=["missing-column"],
)
def test_a_schema_problem_refuses_the_whole_window(wh, gate, batch, reason) -> None:
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
    totals = {"spend": 7.0}  # the API says 7, the rows sum to -1: the window is refused
    bad = load_window(wh, SCHEMA, [rows(D1, [-1.0])], (D1, D1), LoadContext("r1"), gate, totals)
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


def test_implausible_times_are_record_errors(wh, gate) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    ts = pa.timestamp("us", tz="UTC")
    schema = replace(
        SCHEMA,
        table="raw.test_ads",
        fields=(*SCHEMA.fields, *fields(("created", ts))),
        event_times=("created",),
    )
    created = [datetime(2024, 5, 1, tzinfo=UTC)] * 200
    created[3] = datetime(1900, 1, 1, tzinfo=UTC)  # before the account could exist
    created[9] = datetime(2099, 1, 1, tzinfo=UTC)  # in the future
    batch = many(D1).append_column("created", pa.array(created, ts))
    result = load_window(wh, schema, [batch], (D1, D1), LoadContext("r1"), gate)
    assert result.loaded and result.rows == 198 and result.quarantined_rows == 2
    kept = [json.loads(k["row_json"])["created"][:4] for k in quarantine_rows(wh)]
    assert kept == ["1900", "2099"]
