"""A recording stand-in for `google.cloud.bigquery.Client` (autospecced, no credentials)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.exceptions import NotFound
from google.cloud import bigquery

from mdp.settings import BigQuerySettings
from mdp.warehouse.bigquery import BigQueryWarehouse

LABELS = {"app": "mdp", "env": "test"}
CAP = 10**9


def bigquery_type(kind: pa.DataType) -> str:
    """The column type a Parquet load gives an Arrow type (enough for the layout checks)."""
    checks = (
        (pa.types.is_timestamp, "TIMESTAMP"),
        (pa.types.is_date, "DATE"),
        (pa.types.is_boolean, "BOOLEAN"),
        (pa.types.is_integer, "INTEGER"),
        (pa.types.is_floating, "FLOAT"),
        (pa.types.is_decimal, "NUMERIC"),
        (pa.types.is_string, "STRING"),
    )
    return next((name for test, name in checks if test(kind)), "RECORD")


class RecordingBigQuery:
    """Tables that exist (from load jobs and CREATE statements), every job and its config."""

    def __init__(self) -> None:
        self.client = mock.create_autospec(bigquery.Client, instance=True)
        self.client.project = "acme"
        self.tables: dict[str, list[bigquery.SchemaField]] = {}
        self.queries: list[tuple[str, bigquery.QueryJobConfig]] = []
        self.loads: list[tuple[str, bigquery.LoadJobConfig, pa.Table]] = []
        self.client.get_table.side_effect = self._get_table
        self.client.query.side_effect = self._query
        self.client.load_table_from_file.side_effect = self._load
        self.client.delete_table.side_effect = lambda table_id, **_: self.tables.pop(table_id, None)

    def _get_table(self, table_id: str) -> bigquery.Table:
        if table_id not in self.tables:
            raise NotFound(f"Not found: Table {table_id}")
        return bigquery.Table(table_id, schema=self.tables[table_id])

    def _query(self, statement: str, job_config: Any = None, location: Any = None) -> Any:
        self.queries.append((statement, job_config))
        job = mock.Mock()
        if "count_if" in statement:  # key profile of a staged batch: clean
            job.result.return_value = iter([(1, 0, 0)])
        else:
            job.result.return_value = iter([])
        if statement.startswith("create table if not exists"):
            target = statement.split("`")[1]
            stage = statement.rsplit("from `", 1)[1].split("`")[0]
            self.tables[target] = self.tables[stage]
        job.dml_stats = mock.Mock(inserted_row_count=1, updated_row_count=0)
        return job

    def _load(self, file_obj: Any, destination: str, **kwargs: Any) -> Any:
        file_obj.seek(0)
        data = pq.read_table(file_obj)
        self.loads.append((destination, kwargs["job_config"], data))
        fields = [bigquery.SchemaField(f.name, bigquery_type(f.type)) for f in data.schema]
        self.tables[destination.split("$")[0]] = fields
        return mock.Mock()

    def creates(self) -> dict[str, str]:
        """Target table id -> the CREATE statement that made it."""
        return {
            q.split("`")[1]: q
            for q, _ in self.queries
            if q.startswith("create table if not exists")
        }


def bigquery_warehouse(fake: RecordingBigQuery, **overrides: Any) -> BigQueryWarehouse:
    """The real backend over the recording client."""
    settings = BigQuerySettings(
        project="acme", maximum_bytes_billed=CAP, job_labels=LABELS, **overrides
    )
    return BigQueryWarehouse(settings, client=fake.client)
