"""DuckDB backend: idempotent, atomic merges and partition swaps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from mdp.errors import DuplicateKeyError, SchemaMismatchError, WarehouseError
from mdp.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture
def wh(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def spend(ids: list[int], amounts: list[float], day: date = date(2025, 1, 1)) -> pa.Table:
    return pa.table(
        {
            "ad_id": ids,
            "date": [day] * len(ids),
            "spend": amounts,
            "campaign": [f"c{i % 2}" for i in ids],
        }
    )


def rows(wh: DuckDBWarehouse, table: str = "raw.spend") -> list[dict]:
    return wh.query(f"select * from {table} order by ad_id, date").to_pylist()


def test_merge_same_batch_twice_gives_same_table_and_checksum(wh: DuckDBWarehouse) -> None:
    batch = spend([1, 2, 3], [10.0, 20.5, 0.0])
    first = wh.merge("raw.spend", batch, keys=["ad_id", "date"])
    sum_first, rows_first = wh.checksum("raw.spend"), rows(wh)
    second = wh.merge("raw.spend", batch, keys=["ad_id", "date"])
    assert (first.inserted, first.updated) == (3, 0)
    assert (second.inserted, second.updated) == (0, 3)
    assert wh.checksum("raw.spend") == sum_first
    assert rows(wh) == rows_first
    assert sum_first.rows == 3


def test_merge_updates_matches_and_inserts_new(wh: DuckDBWarehouse) -> None:
    wh.merge("raw.spend", spend([1, 2], [10.0, 20.0]), keys=["ad_id", "date"])
    result = wh.merge("raw.spend", spend([2, 3], [25.0, 30.0]), keys=["ad_id", "date"])
    assert (result.inserted, result.updated) == (1, 1)
    assert [r["spend"] for r in rows(wh)] == [10.0, 25.0, 30.0]


def test_checksum_ignores_row_order_and_excluded_columns(wh: DuckDBWarehouse) -> None:
    wh.merge("raw.a", spend([1, 2, 3], [1.0, 2.0, 3.0]), keys=["ad_id"])
    wh.merge(
        "raw.b",
        spend([3, 1, 2], [3.0, 1.0, 2.0]).append_column("note", pa.array(["x"] * 3)),
        keys=["ad_id"],
    )
    assert wh.checksum("raw.a") == wh.checksum("raw.b", exclude=["note"])
    assert wh.checksum("raw.a") != wh.checksum("raw.b")


def test_streamed_batches_merge_like_one_table(wh: DuckDBWarehouse) -> None:
    table = spend(list(range(1000)), [float(i) for i in range(1000)])
    wh.merge("raw.one", table, keys=["ad_id"])
    wh.merge("raw.many", iter(table.to_batches(max_chunksize=97)), keys=["ad_id"])
    assert wh.checksum("raw.one") == wh.checksum("raw.many")


def test_failure_mid_merge_leaves_target_unchanged(wh: DuckDBWarehouse) -> None:
    wh.merge("raw.spend", spend([1, 2], [10.0, 20.0]), keys=["ad_id", "date"])
    before, checksum = rows(wh), wh.checksum("raw.spend")
    # Key 1 matches (would be updated), the new column would be added, and then the cast of
    # 'abc' to the DOUBLE spend column fails inside the MERGE: everything must roll back.
    bad = pa.table(
        {
            "ad_id": [1, 9],
            "date": [date(2025, 1, 1)] * 2,
            "spend": ["15.0", "abc"],
            "campaign": ["c1", "c1"],
            "new_column": [1, 2],
        }
    )
    with pytest.raises(WarehouseError, match="rolled back"):
        wh.merge("raw.spend", bad, keys=["ad_id", "date"])
    assert rows(wh) == before
    assert wh.checksum("raw.spend") == checksum
    assert "new_column" not in wh.query("select * from raw.spend limit 0").column_names


def test_duplicate_keys_refused_and_named(wh: DuckDBWarehouse) -> None:
    with pytest.raises(DuplicateKeyError, match=r"ad_id, date"):
        wh.merge("raw.spend", spend([1, 1], [1.0, 2.0]), keys=["ad_id", "date"])
    assert not wh.table_exists("raw.spend")


def test_null_key_and_missing_key_refused(wh: DuckDBWarehouse) -> None:
    with pytest.raises(SchemaMismatchError, match="null key"):
        wh.merge("raw.spend", pa.table({"ad_id": [1, None], "spend": [1.0, 2.0]}), keys=["ad_id"])
    with pytest.raises(SchemaMismatchError, match="lacks key column"):
        wh.merge("raw.spend", pa.table({"spend": [1.0]}), keys=["ad_id"])


def test_new_columns_are_added(wh: DuckDBWarehouse) -> None:
    wh.merge("raw.spend", spend([1], [1.0]), keys=["ad_id"])
    wh.merge("raw.spend", spend([2], [2.0]).append_column("reach", pa.array([7])), keys=["ad_id"])
    assert [r["reach"] for r in rows(wh)] == [None, 7]


def test_empty_batch_is_a_no_op(wh: DuckDBWarehouse) -> None:
    result = wh.merge("raw.spend", iter([]), keys=["ad_id"])
    assert result.rows == 0
    assert not wh.table_exists("raw.spend")


def test_replace_partition_swaps_one_day_only(wh: DuckDBWarehouse) -> None:
    d1, d2 = date(2025, 1, 1), date(2025, 1, 2)
    wh.replace_partition("raw.spend", spend([1, 2], [1.0, 2.0], d1), column="date", value=d1)
    wh.replace_partition("raw.spend", spend([1], [5.0], d2), column="date", value=d2)
    result = wh.replace_partition("raw.spend", spend([3], [3.0], d1), column="date", value=d1)
    assert result.deleted == 2
    assert [(r["ad_id"], r["date"]) for r in rows(wh)] == [(1, d2), (3, d1)]
    again = wh.checksum("raw.spend")
    wh.replace_partition("raw.spend", spend([3], [3.0], d1), column="date", value=d1)
    assert wh.checksum("raw.spend") == again


def test_replace_partition_refuses_rows_of_other_days(wh: DuckDBWarehouse) -> None:
    d1 = date(2025, 1, 1)
    wh.replace_partition("raw.spend", spend([1], [1.0], d1), column="date", value=d1)
    with pytest.raises(SchemaMismatchError, match="other dates"):
        wh.replace_partition(
            "raw.spend", spend([2], [2.0], date(2025, 1, 9)), column="date", value=d1
        )
    assert [r["ad_id"] for r in rows(wh)] == [1]


def test_state_round_trip(wh: DuckDBWarehouse) -> None:
    assert wh.get_state("ga4.cursor") is None
    wh.set_state("ga4.cursor", "2025-01-01")
    wh.set_state("ga4.cursor", "2025-01-02")
    assert wh.get_state("ga4.cursor") == "2025-01-02"
    assert wh.list_tables("mdp_meta") == ["state"]


def test_list_and_delete_state(wh: DuckDBWarehouse) -> None:
    assert wh.list_state() == [] and wh.delete_state("a") is False
    before = datetime.now(UTC)
    for key in ("facebook_ads.insights.cursor", "facebookXads.other", "ga4.events.cursor"):
        wh.set_state(key, "2025-01-01")
    # the prefix is literal: "_" is not a LIKE wildcard here
    entries = wh.list_state("facebook_ads.")
    assert [e.key for e in entries] == ["facebook_ads.insights.cursor"]
    assert entries[0].value == "2025-01-01"
    assert entries[0].updated_at is not None and entries[0].updated_at >= before
    assert entries[0].updated_at.utcoffset() is not None
    assert len(wh.list_state()) == 3
    assert wh.delete_state("ga4.events.cursor") is True
    assert wh.delete_state("ga4.events.cursor") is False
    assert wh.get_state("ga4.events.cursor") is None
    remaining = [e.key for e in wh.list_state()]
    assert remaining == ["facebookXads.other", "facebook_ads.insights.cursor"]  # by key


def test_bad_table_name_refused(wh: DuckDBWarehouse) -> None:
    with pytest.raises(WarehouseError, match=r"schema\.table"):
        wh.merge("spend; drop table x", spend([1], [1.0]), keys=["ad_id"])
