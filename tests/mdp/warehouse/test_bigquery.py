"""BigQuery backend at the client boundary: load jobs from Parquet, one MERGE, guards on jobs.

No Google credentials are needed: the real `bigquery.Client` class is replaced by an autospec
(same method signatures), and every SQL statement it receives is parsed in sqlglot's BigQuery
dialect.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from google.api_core.exceptions import BadRequest, NotFound
from google.cloud import bigquery

from mdp.errors import DuplicateKeyError, SchemaMismatchError, WarehouseError
from mdp.settings import BigQuerySettings
from mdp.warehouse.base import StateEntry
from mdp.warehouse.bigquery import BigQueryWarehouse, create_target_sql

SCHEMA = [
    bigquery.SchemaField("ad_id", "INTEGER"),
    bigquery.SchemaField("date", "DATE"),
    bigquery.SchemaField("spend", "FLOAT"),
]


class FakeBigQuery:
    """Records calls to an autospecced client and answers like BigQuery would."""

    def __init__(self, target_exists: bool = False, profile: tuple[int, int, int] = (2, 0, 0)):
        self.client = mock.create_autospec(bigquery.Client, instance=True)
        self.queries: list[tuple[str, bigquery.QueryJobConfig]] = []
        self.loaded: list[pa.Table] = []
        self.target_exists = target_exists
        self.profile = profile
        self.client.get_table.side_effect = self._get_table
        self.client.query.side_effect = self._query
        self.client.load_table_from_file.side_effect = self._load

    def _get_table(self, table_id: str) -> bigquery.Table:
        if "._stage_" in table_id or self.target_exists:
            return bigquery.Table(table_id, schema=SCHEMA)
        raise NotFound(f"Not found: Table {table_id}")

    def _query(self, statement: str, job_config: Any = None, location: Any = None) -> Any:
        self.queries.append((statement, job_config))
        job = mock.Mock()
        if "count_if" in statement:
            job.result.return_value = iter([self.profile])
        elif statement.lstrip().startswith("select ad_id") or "occurrences" in statement:
            job.result.return_value = iter([mock.Mock(values=lambda: (1, 2))])
        else:
            job.result.return_value = iter([])
        job.dml_stats = mock.Mock(inserted_row_count=2, updated_row_count=0)
        return job

    def _load(self, file_obj: Any, destination: str, **kwargs: Any) -> Any:
        file_obj.seek(0)
        self.loaded.append(pq.read_table(file_obj))
        self.load_destination = destination
        self.load_config: bigquery.LoadJobConfig = kwargs["job_config"]
        return mock.Mock()


def warehouse(fake: FakeBigQuery) -> BigQueryWarehouse:
    settings = BigQuerySettings(
        project="acme",
        dataset_prefix="mdp_",
        maximum_bytes_billed=10**9,
        job_labels={"app": "mdp", "env": "test"},
    )
    return BigQueryWarehouse(settings, client=fake.client)


def batch() -> pa.Table:
    return pa.table({"ad_id": [1, 2], "date": [date(2025, 1, 1)] * 2, "spend": [1.5, 2.5]})


def test_merge_loads_parquet_then_one_merge_statement() -> None:
    fake = FakeBigQuery()
    result = warehouse(fake).merge(
        "raw.spend", batch(), keys=["ad_id", "date"], partition_by="date"
    )
    assert result.inserted == 2
    # data went through a Parquet load job into a staging table, never streaming inserts
    fake.client.insert_rows.assert_not_called()
    fake.client.insert_rows_json.assert_not_called()
    assert fake.load_config.source_format == bigquery.SourceFormat.PARQUET
    assert fake.load_config.write_disposition == bigquery.WriteDisposition.WRITE_TRUNCATE
    assert fake.load_destination.startswith("acme.mdp_raw._stage_spend_")
    assert fake.loaded[0].equals(batch())
    statements = [q for q, _ in fake.queries]
    merges = [s for s in statements if s.startswith("merge")]
    assert len(merges) == 1
    assert "`acme.mdp_raw.spend`" in merges[0]
    creates = [s for s in statements if s.startswith("create table")]
    assert "partition by `date`" in creates[0] and "cluster by `ad_id`, `date`" in creates[0]
    fake.client.delete_table.assert_called_once()  # staging dropped


def test_every_job_is_capped_and_labelled_and_parses_as_bigquery() -> None:
    fake = FakeBigQuery()
    warehouse(fake).merge("raw.spend", batch(), keys=["ad_id", "date"], partition_by="date")
    assert fake.queries
    for statement, config in fake.queries:
        assert config.maximum_bytes_billed == 10**9
        assert config.labels == {"app": "mdp", "env": "test"}
        sqlglot.parse_one(statement, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    assert fake.load_config.labels == {"app": "mdp", "env": "test"}


def test_existing_target_gets_new_columns_via_schema_update() -> None:
    fake = FakeBigQuery(target_exists=True)
    wide = batch().append_column("reach", pa.array([3, 4]))
    staged_schema = [*SCHEMA, bigquery.SchemaField("reach", "INTEGER")]

    def get_table(table_id: str) -> bigquery.Table:
        schema = staged_schema if "._stage_" in table_id else SCHEMA
        return bigquery.Table(table_id, schema=schema)

    fake.client.get_table.side_effect = get_table
    warehouse(fake).merge("raw.spend", wide, keys=["ad_id", "date"])
    updates = [c for c in fake.client.update_table.call_args_list if c.args[1] == ["schema"]]
    assert [f.name for f in updates[0].args[0].schema] == ["ad_id", "date", "spend", "reach"]
    assert not [q for q, _ in fake.queries if q.startswith("create table")]


def test_duplicate_keys_refused_before_merge() -> None:
    fake = FakeBigQuery(profile=(2, 0, 1))
    with pytest.raises(DuplicateKeyError):
        warehouse(fake).merge("raw.spend", batch(), keys=["ad_id", "date"])
    assert not [q for q, _ in fake.queries if q.startswith("merge")]
    fake.client.delete_table.assert_called_once()


def test_failed_merge_job_is_a_warehouse_error_and_cleans_up() -> None:
    fake = FakeBigQuery()
    original = fake._query

    def failing(statement: str, **kwargs: Any) -> Any:
        if statement.startswith("merge"):
            raise BadRequest("Query error: UPDATE/MERGE must match at most one source row")
        return original(statement, **kwargs)

    fake.client.query.side_effect = failing
    with pytest.raises(WarehouseError, match="BigQuery job failed"):
        warehouse(fake).merge("raw.spend", batch(), keys=["ad_id", "date"])
    fake.client.delete_table.assert_called_once()


def test_replace_partition_is_one_truncating_load_into_the_partition() -> None:
    fake = FakeBigQuery()
    warehouse(fake).replace_partition("raw.spend", batch(), column="date", value=date(2025, 1, 1))
    assert fake.load_destination == "acme.mdp_raw.spend$20250101"
    assert fake.load_config.write_disposition == bigquery.WriteDisposition.WRITE_TRUNCATE
    assert fake.load_config.time_partitioning.field == "date"
    assert not fake.queries


def test_replace_partition_refuses_other_days() -> None:
    fake = FakeBigQuery()
    with pytest.raises(SchemaMismatchError, match="other dates"):
        warehouse(fake).replace_partition(
            "raw.spend", batch(), column="date", value=date(2025, 1, 2)
        )
    fake.client.load_table_from_file.assert_not_called()


def test_query_uses_typed_named_parameters() -> None:
    fake = FakeBigQuery(target_exists=True)
    fake.client.query.side_effect = None
    fake.client.query.return_value.to_arrow.return_value = pa.table({"value": ["x"]})
    result = warehouse(fake).query("select @k as value", {"k": "cursor", "d": date(2025, 1, 1)})
    config = fake.client.query.call_args.kwargs["job_config"]
    assert [(p.name, p.type_) for p in config.query_parameters] == [("k", "STRING"), ("d", "DATE")]
    assert result.column("value").to_pylist() == ["x"]


def test_create_target_sql_partitions_timestamps_by_day() -> None:
    schema = [bigquery.SchemaField("event_at", "TIMESTAMP"), bigquery.SchemaField("id", "STRING")]
    statement = create_target_sql("`p.raw.t`", "`p.raw.s`", schema, ["id"], "event_at")
    assert "partition by date(`event_at`)" in statement
    sqlglot.parse_one(statement, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)


STATE_SCHEMA = [
    bigquery.SchemaField("key", "STRING"),
    bigquery.SchemaField("value", "STRING"),
    bigquery.SchemaField("updated_at", "TIMESTAMP"),
]


def state_client(rows: list[tuple[Any, ...]], affected: int = 1) -> FakeBigQuery:
    """A client whose state table exists and answers every query with `rows`."""
    fake = FakeBigQuery()
    fake.client.get_table.side_effect = lambda table_id: bigquery.Table(
        table_id, schema=STATE_SCHEMA
    )

    def answer(statement: str, job_config: Any = None, location: Any = None) -> Any:
        fake.queries.append((statement, job_config))
        job = mock.Mock(num_dml_affected_rows=affected)
        job.result.return_value = iter(rows)
        return job

    fake.client.query.side_effect = answer
    return fake


def test_list_state_is_a_literal_prefix_query_in_bigquery_sql() -> None:
    at = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    fake = state_client([("ga4.events.cursor", "2025-01-01", at)])
    entries = warehouse(fake).list_state("ga4.")
    assert entries == [StateEntry("ga4.events.cursor", "2025-01-01", at)]
    ((statement, config),) = fake.queries
    assert "`acme.mdp_mdp_meta.state`" in statement
    assert "starts_with(key, @prefix)" in statement  # not LIKE: "_" in a source is literal
    assert [(p.name, p.type_, p.value) for p in config.query_parameters] == [
        ("prefix", "STRING", "ga4.")
    ]
    sqlglot.parse_one(statement, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)


def test_delete_state_deletes_one_key_in_bigquery_sql() -> None:
    fake = state_client([], affected=1)
    assert warehouse(fake).delete_state("ga4.events.cursor") is True
    ((statement, config),) = fake.queries
    assert statement == "delete from `acme.mdp_mdp_meta.state` where key = @key"
    assert [(p.name, p.value) for p in config.query_parameters] == [("key", "ga4.events.cursor")]
    sqlglot.parse_one(statement, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    assert warehouse(state_client([], affected=0)).delete_state("ga4.events.cursor") is False


def test_state_without_a_state_table_is_empty() -> None:
    fake = FakeBigQuery()  # get_table: NotFound
    assert warehouse(fake).list_state() == []
    assert warehouse(fake).delete_state("ga4.events.cursor") is False
    assert not fake.queries
