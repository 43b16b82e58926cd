"""Every raw table the connectors write is date-partitioned and clustered on its natural keys
on BigQuery: asserted on the CREATE statements and load jobs the backend sends its client."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlglot
from google.cloud import bigquery

from ingestion.common.loader import load_window
from ingestion.common.metadata import LOADED_AT, LoadContext
from ingestion.common.schema import StreamSchema
from ingestion.facebook_ads.schema import ADS, ADSETS, CAMPAIGNS, INSIGHTS
from ingestion.ga4 import RAW_EVENTS_TABLE, load_export_day
from ingestion.ga4.config import DEFAULT_DIMENSIONS, DEFAULT_METRICS
from ingestion.ga4.export import FileExport
from ingestion.ga4.schema import report_schema
from ingestion.google_ads.schema import ATTRIBUTE_STREAMS, METRIC_STREAMS
from ingestion.salesforce.schema import STREAMS as SALESFORCE_STREAMS
from tests.fixtures.ga4_export import write_export_day
from tests.mdp.warehouse.bigquery_fake import (
    CAP,
    LABELS,
    RecordingBigQuery,
    bigquery_warehouse,
)

DAY = date(2025, 3, 1)
RAW_SCHEMAS: list[StreamSchema] = [
    CAMPAIGNS,
    ADSETS,
    ADS,
    INSIGHTS,
    *(s.schema for s in (*ATTRIBUTE_STREAMS, *METRIC_STREAMS)),
    *(s.schema for s in SALESFORCE_STREAMS.values()),
    report_schema(DEFAULT_DIMENSIONS, DEFAULT_METRICS),
]


def _value(kind: pa.DataType) -> Any:
    checks: tuple[tuple[Any, Any], ...] = (
        (pa.types.is_timestamp, datetime(2025, 3, 1, 12, tzinfo=UTC)),
        (pa.types.is_date, DAY),
        (pa.types.is_boolean, True),
        (pa.types.is_integer, 1),
        (pa.types.is_floating, 1.5),
        (pa.types.is_decimal, Decimal("1.5")),
        (pa.types.is_string, "x"),
    )
    return next((value for test, value in checks if test(kind)), None)


def one_row(schema: StreamSchema) -> pa.Table:
    """A row with every declared field set (dates on DAY, so the window checks pass)."""
    return pa.Table.from_pylist(
        [{f.name: _value(f.type) for f in schema.fields}], schema=schema.arrow_schema
    )


def _ident(name: str) -> str:
    return f"`{name}`"


@pytest.mark.parametrize("schema", RAW_SCHEMAS, ids=lambda s: s.table)
def test_raw_table_is_partitioned_by_date_and_clustered_on_its_keys(schema: StreamSchema) -> None:
    fake = RecordingBigQuery()
    with bigquery_warehouse(fake) as warehouse:
        result = load_window(warehouse, schema, [one_row(schema)], (DAY, DAY), LoadContext("t"))
    assert result.loaded, result.reason
    dataset, name = schema.table.split(".")
    create = fake.creates()[f"acme.{dataset}.{name}"]
    # the stream's own date, else the load time (entity tables), by day
    partition = schema.partition_by or LOADED_AT
    kind = next((f.type for f in schema.fields if f.name == partition), pa.timestamp("us"))
    expected = _ident(partition) if pa.types.is_date(kind) else f"date({_ident(partition)})"
    assert f"partition by {expected}" in create
    assert "cluster by " + ", ".join(_ident(k) for k in schema.keys[:4]) in create
    tree = sqlglot.parse_one(create, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    assert tree.find(sqlglot.exp.PartitionedByProperty) is not None
    assert tree.find(sqlglot.exp.ClusterProperty) is not None
    # loaded by a Parquet load job, merged by one MERGE (and the window recorded in
    # mdp_meta.loads the same way); every query capped and labelled
    assert [c.source_format for _, c, _ in fake.loads] == [bigquery.SourceFormat.PARQUET] * 2
    assert sum(q.startswith("merge into") for q, _ in fake.queries) == 2
    loads = fake.creates()["acme.mdp_meta.loads"]
    assert f"partition by date({_ident('loaded_at')})" in loads
    sqlglot.parse_one(loads, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    assert all((c.maximum_bytes_billed, c.labels) == (CAP, LABELS) for _, c in fake.queries)
    fake.client.insert_rows.assert_not_called()
    fake.client.insert_rows_json.assert_not_called()


def test_quarantine_tables_are_partitioned_by_quarantine_day() -> None:
    schema = INSIGHTS
    bad = one_row(schema).drop_columns(["ad_id"])  # a required field missing: quarantined
    fake = RecordingBigQuery()
    with bigquery_warehouse(fake) as warehouse:
        result = load_window(warehouse, schema, [bad], (DAY, DAY), LoadContext("t"))
    assert not result.loaded
    create = fake.creates()["acme.quarantine.facebook_ads_insights"]
    assert "partition by date(`quarantined_at`)" in create
    assert "cluster by `batch_id`, `row_number`" in create
    assert "acme.raw.facebook_ads_insights" not in fake.creates()


def test_ga4_events_day_is_a_partition_load_clustered_for_event_reads(tmp_path: Path) -> None:
    write_export_day(tmp_path, DAY, users=3)
    fake = RecordingBigQuery()
    with bigquery_warehouse(fake) as warehouse:
        result = load_export_day(warehouse, FileExport(tmp_path), DAY, LoadContext("t"))
    assert result.loaded
    ((destination, config, data),) = fake.loads
    assert destination == f"acme.{RAW_EVENTS_TABLE}$20250301"
    assert config.source_format == bigquery.SourceFormat.PARQUET
    assert config.write_disposition == bigquery.WriteDisposition.WRITE_TRUNCATE
    assert config.time_partitioning.field == "_mdp_partition_date"
    assert config.time_partitioning.type_ == bigquery.TimePartitioningType.DAY
    assert config.clustering_fields == ["event_name", "user_pseudo_id"]
    assert config.labels == LABELS
    assert data.num_rows == result.rows > 0
