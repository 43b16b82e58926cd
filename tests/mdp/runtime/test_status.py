"""`mdp status`: per raw table, last load, freshness, rows, records quarantined and windows
refused (with why), from mdp_meta.loads; its SQL is BigQuery SQL on BigQuery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlglot
from typer.testing import CliRunner

from ingestion.common.loader import load_window
from ingestion.common.metadata import LoadContext
from ingestion.common.schema import StreamSchema, fields
from mdp.cli import app
from mdp.runtime.status import (
    refused_sql,
    runs_sql,
    summary_sql,
    table_statuses,
    timestamp_literal,
)
from mdp.warehouse.duckdb import DuckDBWarehouse
from tests.mdp.warehouse.test_reader_sql_dialect import DUCKDB_ONLY

TODAY = datetime.now(UTC).date()
DAY1, DAY2 = TODAY - timedelta(days=3), TODAY - timedelta(days=2)
METRICS = StreamSchema(
    table="raw.google_ads_ad_metrics_daily",
    keys=("ad_id", "date"),
    fields=fields(("ad_id", pa.string()), ("date", pa.date32()), ("spend", pa.float64())),
    partition_by="date",
)
LEADS = StreamSchema(
    table="raw.salesforce_lead",
    keys=("Id",),
    fields=fields(("Id", pa.string()), ("Score__c", pa.float64())),
)


def metrics(day: date, spend: list[Any]) -> pa.Table:
    """A day of ad metrics; a text spend makes the whole column text, as a retyped field does."""
    ids = [f"a{i}" for i in range(len(spend))]
    values = [str(v) for v in spend] if any(isinstance(v, str) for v in spend) else spend
    return pa.table({"ad_id": ids, "date": [day] * len(spend), "spend": values})


@pytest.fixture
def warehouse_file(settings: Any) -> Path:
    """Two runs of Google Ads (a record quarantined, then a window refused), one Salesforce
    load, and a raw table loaded before loads were recorded."""
    path: Path = settings.duckdb_file
    with DuckDBWarehouse(path) as wh:
        good = [float(i) for i in range(30)]
        load_window(wh, METRICS, [metrics(DAY1, good)], (DAY1, DAY1), LoadContext("run-1"))
        bad_one = [*good, "n/a"]  # one value that is not a number: that record only
        load_window(wh, METRICS, [metrics(DAY1, bad_one)], (DAY1, DAY1), LoadContext("run-2"))
        all_bad = ["n/a"] * 20  # more bad records than a window may hold: refused whole
        load_window(wh, METRICS, [metrics(DAY2, all_bad)], (DAY2, DAY2), LoadContext("run-2"))
        wh.set_state("google_ads.ad_metrics_daily.cursor", DAY1.isoformat())
        leads = pa.table({"Id": ["00Q1", "00Q2"], "Score__c": [1.0, 2.0]})
        load_window(wh, LEADS, [leads], (DAY1, TODAY), LoadContext("run-3"))
        wh.set_state("salesforce.Lead.cursor", f"{TODAY}T08:00:00.000Z")
        wh.merge("raw.ga4_events", pa.table({"event_id": ["e1"]}), keys=["event_id"])
    return path


def test_each_raw_table_has_its_last_load_freshness_rows_and_refusals(warehouse_file) -> None:
    with DuckDBWarehouse(warehouse_file) as wh:
        statuses = {s.table: s for s in table_statuses(wh)}
    assert list(statuses) == [
        "raw.ga4_events",
        "raw.google_ads_ad_metrics_daily",
        "raw.salesforce_lead",
    ]  # by source, in the pipeline's order
    ads = statuses["raw.google_ads_ad_metrics_daily"]
    assert ads.source == "google_ads"
    assert ads.data_through == DAY1  # DAY2 was refused
    assert ads.freshness(TODAY) == "3 days behind"
    assert ads.cursor == DAY1.isoformat()
    assert ads.rows_in_raw == 30
    assert ads.rows_last_run == 30  # run-2: DAY1 again (30 good), DAY2 refused
    assert ads.quarantined_recent == 1 + 20
    [refused] = ads.refused
    assert (refused.first, refused.last) == (DAY2, DAY2)
    assert "20 of 20 records are bad" in refused.reason
    lead = statuses["raw.salesforce_lead"]
    assert (lead.cursor, lead.rows_in_raw, lead.rows_last_run) == (f"{TODAY}T08:00:00.000Z", 2, 2)
    assert lead.freshness(TODAY) == "up to date" and not lead.refused
    ga4 = statuses["raw.ga4_events"]
    assert (ga4.last_load_at, ga4.rows_in_raw, ga4.freshness(TODAY)) == (
        None,
        1,
        "no load recorded",
    )


def test_a_window_loaded_again_later_is_no_longer_listed_as_refused(warehouse_file) -> None:
    with DuckDBWarehouse(warehouse_file) as wh:
        day2 = metrics(DAY2, [1.0, 2.0])
        load_window(wh, METRICS, [day2], (DAY2, DAY2), LoadContext("run-4"))
        [ads] = [s for s in table_statuses(wh) if s.table == "raw.google_ads_ad_metrics_daily"]
    assert ads.refused == [] and ads.data_through == DAY2 and ads.rows_last_run == 2


def test_refusals_older_than_a_week_are_not_listed(warehouse_file) -> None:
    with DuckDBWarehouse(warehouse_file) as wh:
        later = datetime.now(UTC) + timedelta(days=8)
        [ads] = [s for s in table_statuses(wh, later) if "google_ads" in s.table]
    assert ads.refused == [] and ads.quarantined_recent == 0


def test_mdp_status_prints_the_table_and_each_refused_windows_reason(warehouse_file) -> None:
    result = CliRunner().invoke(app, ["status"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    print(result.output)
    rows = {
        cells[1]: cells
        for line in result.output.splitlines()
        if "│" in line
        for cells in [[c.strip() for c in line.split("│")]]
    }
    ads = rows["google_ads_ad_metrics_daily"]
    assert ads[0] == "google_ads" and ads[3:] == [
        DAY1.isoformat(), "3 days behind", DAY1.isoformat(), "30", "30", "21", "1",
    ]  # fmt: skip
    assert rows["ga4_events"][2] == "never recorded"
    assert f"raw.google_ads_ad_metrics_daily {DAY2}..{DAY2}" in result.output
    assert "20 of 20 records are bad" in result.output


def test_mdp_status_with_nothing_ingested(settings: Any) -> None:
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0 and "nothing ingested yet" in result.output


def test_queries_are_bigquery_sql() -> None:
    loads = "`acme.mdp_meta.loads`"
    since = timestamp_literal("bigquery", datetime(2025, 1, 1, tzinfo=UTC))
    assert since == "timestamp '2025-01-01 00:00:00+00'"
    for sql in (summary_sql(loads, since), runs_sql(loads), refused_sql(loads, since)):
        sqlglot.parse_one(sql, read="bigquery")
        for spelling, pattern in DUCKDB_ONLY.items():
            assert not pattern.search(sql), (spelling, sql)
