"""GA4 BigQuery export files: real nested schema, one file per day, exact round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from sandbox.world import World, platform_view, read_ga4_export, write_ga4_export
from sandbox.world.ga4_schema import EXPORT_SCHEMA


@pytest.fixture(scope="module")
def export(short_world: World, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_ga4_export(short_world, tmp_path_factory.mktemp("ga4"))


def _plain(table: pa.Table) -> pa.Table:
    return pa.table(
        {
            n: c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c
            for n, c in zip(table.column_names, table.columns, strict=True)
        }
    )


def test_one_file_per_day_in_the_export_schema(short_world: World, export: list[Path]) -> None:
    days = pc.unique(short_world.tables["ga4_events"]["event_date"]).to_pylist()
    assert [p.name for p in export] == [f"events_{d:%Y%m%d}.parquet" for d in sorted(days)]
    table = pq.read_table(export[0])
    assert table.schema.equals(EXPORT_SCHEMA)
    assert set(pc.unique(table["event_date"]).to_pylist()) == {export[0].name[7:15]}


def test_flattening_the_export_reproduces_ga4_events(
    short_world: World, export: list[Path]
) -> None:
    assert read_ga4_export(export[0].parent).equals(short_world.tables["ga4_events"])


def test_parameters_have_ga4_value_types(export: list[Path]) -> None:
    rows = pq.read_table(export[5]).to_pylist()
    params = {p["key"]: p["value"] for p in rows[0]["event_params"]}
    assert isinstance(params["ga_session_id"]["int_value"], int)
    assert params["page_location"]["string_value"].startswith("https://")
    assert params["session_engaged"]["string_value"] in {"0", "1"}
    purchases = [r for r in pq.read_table(export[-1]).to_pylist() if r["event_name"] == "purchase"]
    for row in purchases:
        assert row["ecommerce"]["transaction_id"] and row["items"][0]["price"] > 0


def test_paid_search_sessions_carry_gclid_and_google_ads_campaign(export: list[Path]) -> None:
    table = pa.concat_tables(pq.read_table(p) for p in export)
    starts = table.filter(pc.equal(table["event_name"], "session_start")).to_pylist()
    search = [
        r
        for r in starts
        if r["collected_traffic_source"] and r["collected_traffic_source"]["gclid"]
    ]
    assert search
    for row in search:
        last_click = row["session_traffic_source_last_click"]
        assert last_click["google_ads_campaign"]["campaign_id"]
        assert last_click["cross_channel_campaign"]["default_channel_group"] == "Paid Search"


def test_direct_sessions_keep_the_last_non_direct_click(export: list[Path]) -> None:
    table = pa.concat_tables(pq.read_table(p) for p in export)
    rows = table.filter(pc.equal(table["event_name"], "session_start")).to_pylist()
    direct = [r for r in rows if not any(p["key"] == "source" for p in r["event_params"])]
    credited = [r["session_traffic_source_last_click"]["manual_campaign"]["source"] for r in direct]
    assert "(direct)" in credited
    assert any(s != "(direct)" for s in credited)


def test_partial_export_matches_the_platform_view(short_world: World, tmp_path: Path) -> None:
    as_of = date(2025, 4, 10)
    write_ga4_export(short_world, tmp_path, as_of=as_of)
    flat = read_ga4_export(tmp_path)
    assert _plain(flat).equals(_plain(platform_view(short_world, "ga4_events", as_of)))
