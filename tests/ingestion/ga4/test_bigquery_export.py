"""The production export path at the BigQuery client boundary (autospecced client, no secrets)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest
from google.api_core.exceptions import NotFound
from google.cloud import bigquery

from ingestion.common.metadata import LoadContext
from ingestion.ga4 import RAW_EVENTS_TABLE, load_export_day
from ingestion.ga4.bigquery_export import BigQueryExport
from ingestion.ga4.errors import ExportNotReadyError
from mdp.warehouse.duckdb import DuckDBWarehouse
from tests.fixtures.ga4_export import SCHEMA, export_rows

DAY = date(2025, 3, 1)
TABLE_ID = "acme.analytics_412345678.events_20250301"


def fake_client(pages: list[pa.RecordBatch] | None) -> mock.Mock:
    client = mock.create_autospec(bigquery.Client, instance=True)
    client.project = "acme"
    if pages is None:
        client.get_table.side_effect = NotFound(f"Not found: Table {TABLE_ID}")
    else:
        client.get_table.return_value = bigquery.Table(TABLE_ID)
        rows = mock.create_autospec(bigquery.table.RowIterator, instance=True)
        rows.to_arrow_iterable.return_value = iter(pages)
        client.list_rows.return_value = rows
    return client


def test_day_is_read_in_pages_and_loaded(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(export_rows(DAY, users=5), schema=SCHEMA)
    pages = table.to_batches(max_chunksize=4)  # 15 rows in 4 pages
    client = fake_client(pages)
    source = BigQueryExport(client, "analytics_412345678", page_rows=4)
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        result = load_export_day(wh, source, DAY, LoadContext("bq"))
        loaded = wh.query(f"select * exclude (_mdp_run_id, _mdp_loaded_at, _mdp_extracted_at, "
                          f"_mdp_partition_date) from {RAW_EVENTS_TABLE} "
                          f"order by event_timestamp")  # fmt: skip
    assert (result.rows, result.loaded) == (15, True)
    assert loaded.to_pylist() == table.sort_by("event_timestamp").to_pylist()
    client.get_table.assert_called_once_with(TABLE_ID)
    client.list_rows.assert_called_once_with(client.get_table.return_value, page_size=4)
    assert len(pages) == 4


def test_missing_table_is_not_ready(tmp_path: Path) -> None:
    source = BigQueryExport(fake_client(None), "analytics_412345678")
    with (
        DuckDBWarehouse(tmp_path / "w.duckdb") as wh,
        pytest.raises(ExportNotReadyError, match="no GA4 export table " + TABLE_ID),
    ):
        load_export_day(wh, source, DAY, LoadContext("bq"))
