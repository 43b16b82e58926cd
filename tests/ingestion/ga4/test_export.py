"""GA4 export loader: nested schema kept, days swapped whole after checks, bad days quarantined."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ingestion.common.metadata import LOAD_COLUMNS, LoadContext
from ingestion.ga4 import RAW_EVENTS_TABLE, load_export_day, quality_gate
from ingestion.ga4.errors import ExportNotReadyError, Ga4IngestError
from ingestion.ga4.export import FileExport
from mdp.warehouse.duckdb import DuckDBWarehouse
from sandbox.world import write_ga4_export
from tests.fixtures.ga4_export import write_export_day
from tests.ingestion.ga4.conftest import EVENTS, checksum, query, run_ingest, world_events

D1, D2 = date(2025, 3, 1), date(2025, 3, 2)


def export_conn(folder: Path) -> dict[str, Any]:
    return {"conn_type": "google_cloud_platform", "extra": {"export_path": str(folder)}}


@pytest.fixture
def wh(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb") as warehouse:
        yield warehouse


def load(wh: DuckDBWarehouse, folder: Path, day: date, run_id: str = "a") -> Any:
    return load_export_day(wh, FileExport(folder), day, LoadContext(run_id), quality_gate())


# --- the loader on hand-made export rows ---------------------------------------------------


def test_loads_day_with_nested_fields_and_metadata(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    write_export_day(tmp_path, D1, users=4)
    result = load(wh, tmp_path, D1, run_id="run-1")
    assert (result.rows, result.loaded) == (12, True)
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
    load(wh, tmp_path, D1)
    load(wh, tmp_path, D2)
    first = wh.checksum(RAW_EVENTS_TABLE, exclude=LOAD_COLUMNS)
    load(wh, tmp_path, D2, "b")
    load(wh, tmp_path, D1, "b")
    assert wh.checksum(RAW_EVENTS_TABLE, exclude=LOAD_COLUMNS) == first
    assert first.rows == 18


def test_restated_day_replaces_the_old_rows(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    write_export_day(tmp_path, D1, users=2)
    load(wh, tmp_path, D1)
    write_export_day(tmp_path, D1, users=5)  # GA4 finished processing the day: more events
    load(wh, tmp_path, D1, "b")
    count = wh.query(f"select count(*) as n from {RAW_EVENTS_TABLE}").column("n")[0].as_py()
    assert count == 15


def test_missing_export_is_a_clear_error(wh: DuckDBWarehouse, tmp_path: Path) -> None:
    with pytest.raises(ExportNotReadyError, match="no GA4 export for 2025-03-01"):
        load(wh, tmp_path, D1)


# --- the world's export through `ingest` -----------------------------------------------------


def test_export_equals_the_world(export_dir: Path, tiny_world: Any, monkeypatch, tmp_path):
    db = tmp_path / "w.duckdb"
    march = {"start": "2025-03-01", "end": "2025-03-07"}
    summary = run_ingest(monkeypatch, db, export_conn(export_dir), march)
    first, last = date(2025, 2, 26), date(2025, 3, 7)  # with the 3-day processing lookback
    truth = world_events(tiny_world, tiny_world.config.end + timedelta(days=1), first, last)
    truth["day"] = truth["event_date"].astype(str)
    per_day = truth.groupby("day").agg(rows=("event_name", "size"),
                                       users=("user_pseudo_id", "nunique"))  # fmt: skip
    loaded = query(db, f"""
        select strftime(_mdp_partition_date, '%Y-%m-%d') as day, count(*) as rows,
               count(distinct user_pseudo_id) as users
        from {EVENTS} group by 1 order by 1""").set_index("day")  # fmt: skip
    assert loaded.to_dict() == per_day.to_dict()
    assert summary["export"]["windows"] == 10 and summary["export"]["missing_days"] == []
    assert summary["export"]["rows"] == len(truth)
    # nested params round trip: each event's ga_session_id and page_location param
    params = query(db, f"""
        select user_pseudo_id, event_timestamp,
               list_filter(event_params, lambda p: p.key = 'ga_session_id')[1].value.int_value
                   as sid,
               list_filter(event_params, lambda p: p.key = 'page_location')[1].value.string_value
                   as page
        from {EVENTS}""")  # fmt: skip
    got = set(params.itertuples(index=False, name=None))
    expected = set(truth[["user_pseudo_id", "event_timestamp", "ga_session_id", "page_location"]]
                   .itertuples(index=False, name=None))  # fmt: skip
    assert got == {(u, t, s, p if isinstance(p, str) else None) for u, t, s, p in expected}


def test_backfill_equals_daily_runs(export_dir: Path, monkeypatch, tmp_path: Path) -> None:
    backfill, daily = tmp_path / "backfill.duckdb", tmp_path / "daily.duckdb"
    conn = export_conn(export_dir)
    run_ingest(monkeypatch, backfill, conn, {"start": "2025-04-01", "end": "2025-04-04"})
    run_ingest(monkeypatch, backfill, conn, {"start": "2025-04-02", "end": "2025-04-02"})
    for offset in range(4):
        run_ingest(monkeypatch, daily, conn, day=date(2025, 4, 1) + timedelta(days=offset))
    assert checksum(backfill, EVENTS) == checksum(daily, EVENTS)
    assert checksum(daily, EVENTS).rows > 100


def test_restated_export_days_are_replaced(tiny_world: Any, monkeypatch, tmp_path: Path) -> None:
    folder, db = tmp_path / "export", tmp_path / "w.duckdb"
    write_ga4_export(tiny_world, folder, as_of=date(2025, 7, 1))
    run_ingest(monkeypatch, db, export_conn(folder), day=date(2025, 6, 30))
    early = query(db, f"select count(*) n from {EVENTS}").n[0]
    write_ga4_export(tiny_world, folder, as_of=date(2025, 7, 2))
    run_ingest(monkeypatch, db, export_conn(folder), day=date(2025, 7, 1))

    truth = world_events(tiny_world, date(2025, 7, 2), date(2025, 6, 27), date(2025, 7, 1))
    loaded = query(db, f"select count(*) n, count(distinct user_pseudo_id) u from {EVENTS}")
    assert (loaded.n[0], loaded.u[0]) == (len(truth), truth["user_pseudo_id"].nunique())
    assert loaded.n[0] > early


def _null_ids(table: pa.Table) -> pa.Table:
    ids = table["user_pseudo_id"].to_pylist()
    ids[0] = None
    return table.set_column(table.schema.get_field_index("user_pseudo_id"), "user_pseudo_id",
                            pa.array(ids, pa.string()))  # fmt: skip


def _text_timestamps(table: pa.Table) -> pa.Table:
    index = table.schema.get_field_index("event_timestamp")
    return table.set_column(
        index, "event_timestamp", pc.cast(table["event_timestamp"], pa.string())
    )


def _wrong_day(table: pa.Table) -> pa.Table:
    dates = pa.array(["20250101"] * table.num_rows)
    return table.set_column(table.schema.get_field_index("event_date"), "event_date", dates)


@pytest.mark.parametrize(
    ("break_day", "reason"),
    [
        (lambda t: t.drop_columns(["event_name"]), "required field 'event_name' is missing"),
        (_text_timestamps, "field 'event_timestamp' changed type"),
        (_wrong_day, "all 5 records are bad"),
        (None, "unreadable export file"),
    ],
    ids=["missing_column", "type_change", "date_outside_day", "corrupt"],
)
def test_bad_export_day_is_quarantined_while_others_load(
    export_dir: Path, monkeypatch, tmp_path: Path, break_day: Any, reason: str
) -> None:
    folder, db = tmp_path / "export", tmp_path / "w.duckdb"
    bad = three_days(export_dir, folder)
    if break_day is None:
        bad.write_bytes(b"PAR1 this is not parquet")
    else:
        pq.write_table(break_day(pq.read_table(bad)), bad)

    with pytest.raises(Ga4IngestError, match=r"raw.ga4_events 2025-05-02\.\.2025-05-02 quar"):
        run_ingest(monkeypatch, db, export_conn(folder), {"start": "2025-05-01",
                                                          "end": "2025-05-03"})  # fmt: skip

    loaded = query(db, f"select distinct _mdp_partition_date d from {EVENTS} order by 1")
    assert list(loaded.d) == [date(2025, 5, 1), date(2025, 5, 3)]
    quarantined = query(db, "select window_start, reason, count(*) n from quarantine.ga4_events "
                            "group by all")  # fmt: skip
    assert list(quarantined.window_start) == [date(2025, 5, 2)]
    assert reason in quarantined.reason[0]
    if break_day is not None:
        assert quarantined.n[0] == pq.read_metadata(bad).num_rows


def three_days(export_dir: Path, folder: Path) -> Path:
    """May 1-3 of the world's export in `folder`; the path of May 2, to break."""
    folder.mkdir()
    for day in (date(2025, 5, 1) + timedelta(days=i) for i in range(3)):
        shutil.copy(export_dir / f"events_{day:%Y%m%d}.parquet", folder)
    return folder / "events_20250502.parquet"


def _in_the_future(table: pa.Table) -> pa.Table:
    stamps = table["event_timestamp"].to_pylist()
    stamps[1] = 4_070_908_800_000_000  # 2099-01-01
    return table.set_column(table.schema.get_field_index("event_timestamp"), "event_timestamp",
                            pa.array(stamps, pa.int64()))  # fmt: skip


@pytest.mark.parametrize(
    ("break_day", "row", "rule"),
    [
        (_null_ids, 0, 'expect_column_values_to_not_be_null({"column": "user_pseudo_id"})'),
        (_in_the_future, 1, 'expect_column_values_to_be_between({"column": "event_timestamp"'),
    ],
    ids=["null_user_pseudo_id", "timestamp_in_the_future"],
)
def test_one_bad_event_is_quarantined_alone_and_its_day_loads(
    export_dir: Path, monkeypatch, tmp_path: Path, break_day: Any, row: int, rule: str
) -> None:
    folder, db = tmp_path / "export", tmp_path / "w.duckdb"
    bad = three_days(export_dir, folder)
    original = pq.read_table(bad)
    broken = break_day(original)
    pq.write_table(broken, bad)

    summary = run_ingest(monkeypatch, db, export_conn(folder), {"start": "2025-05-01",
                                                                "end": "2025-05-03"})  # fmt: skip

    assert summary["quarantined_records"] == {EVENTS: 1}
    assert summary["export"]["quarantined_records"] == 1
    assert summary["export"]["quarantined"] == []
    kept = query(db, "select window_start, reason, row_json from quarantine.ga4_events")
    assert len(kept) == 1 and kept.window_start[0] == date(2025, 5, 2)
    assert kept.reason[0].startswith("breaks " + rule)
    assert json.loads(kept.row_json[0])["event_timestamp"] == broken["event_timestamp"][row].as_py()
    # every other event of the three days loaded, none twice
    per_day = query(db, f"select _mdp_partition_date d, count(*) n from {EVENTS} group by 1")
    expected = {date(2025, 5, d): pq.read_metadata(folder / f"events_202505{d:02}.parquet")
                .num_rows for d in (1, 2, 3)}  # fmt: skip
    expected[date(2025, 5, 2)] -= 1
    assert dict(zip(per_day.d, per_day.n, strict=True)) == expected
    loaded = query(db, f"select event_timestamp t from {EVENTS} "
                       "where _mdp_partition_date = '2025-05-02'")  # fmt: skip
    good = [t for i, t in enumerate(broken["event_timestamp"].to_pylist()) if i != row]
    assert sorted(loaded.t) == sorted(good)


def _add_column(folder: Path, day: date) -> None:
    """Google adds a top-level column to the day's export."""
    path = folder / f"events_{day:%Y%m%d}.parquet"
    data = pq.read_table(path)
    pq.write_table(data.append_column("consent_mode", pa.array(["granted"] * data.num_rows)), path)


@pytest.mark.parametrize(
    ("policy", "action"),
    [
        ("evolve", "loaded as a new column of raw.ga4_events"),
        ("discard", "dropped (contract: discard)"),
        ("freeze", "stream stopped (contract: freeze); previous data kept"),
    ],
)
def test_a_new_export_column_follows_the_contract(
    wh: DuckDBWarehouse, tmp_path: Path, monkeypatch, policy: str, action: str
) -> None:
    from ingestion.common.contracts import Contract
    from ingestion.common.errors import SchemaChangeError
    from ingestion.ga4 import export

    write_export_day(tmp_path, D1)
    load(wh, tmp_path, D1)
    before = wh.checksum(RAW_EVENTS_TABLE, exclude=LOAD_COLUMNS)
    write_export_day(tmp_path, D1, users=4)  # GA4 restates the day, with a new column
    _add_column(tmp_path, D1)
    monkeypatch.setattr(export, "contract", lambda source, stream: Contract(policy))
    if policy == "freeze":
        frozen = "new column(s) consent_mode and the contract of ga4.events is `freeze`"
        with pytest.raises(SchemaChangeError, match=re.escape(frozen)):
            load(wh, tmp_path, D1, "b")
        assert wh.checksum(RAW_EVENTS_TABLE, exclude=LOAD_COLUMNS) == before
    else:
        assert load(wh, tmp_path, D1, "b").rows == 12
        columns = wh.query(f"select * from {RAW_EVENTS_TABLE} limit 0").column_names
        assert ("consent_mode" in columns) is (policy == "evolve")
    changes = wh.query("select source, stream, field, change, action "
                       "from mdp_meta.schema_changes").to_pylist()  # fmt: skip
    assert changes == [{"source": "ga4", "stream": "events", "field": "consent_mode",
                        "change": "added", "action": action}]  # fmt: skip
