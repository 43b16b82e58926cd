"""BigQuery backend: Parquet load jobs into a staging table, then one MERGE (never streaming)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.exceptions import GoogleAPIError, NotFound
from google.cloud import bigquery

from mdp.errors import WarehouseError
from mdp.settings import BigQuerySettings
from mdp.warehouse import sql
from mdp.warehouse.base import (
    STATE_TABLE,
    ArrowData,
    LoadResult,
    StateEntry,
    TableChecksum,
    TableRef,
    Warehouse,
    check_key_profile,
    check_keys,
    iter_batches,
    only_partition,
    staging_name,
)

_B = sql.BIGQUERY
_STAGING_TTL = timedelta(hours=6)
_PARAM_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "BOOL"),
    (int, "INT64"),
    (float, "FLOAT64"),
    (datetime, "TIMESTAMP"),
    (date, "DATE"),
    (str, "STRING"),
)


def _param(name: str, value: Any) -> bigquery.ScalarQueryParameter:
    """A typed named parameter (BigQuery needs the type; bool is checked before int)."""
    bq_type = next((t for kind, t in _PARAM_TYPES if isinstance(value, kind)), None)
    if bq_type is None:
        raise WarehouseError(
            f"query parameter {name!r} has unsupported type {type(value).__name__}"
        )
    return bigquery.ScalarQueryParameter(name, bq_type, value)


def make_client(settings: BigQuerySettings) -> bigquery.Client:
    """A BigQuery client from a service-account key, or Application Default Credentials."""
    credentials = None
    if settings.credentials_json is not None:
        from google.oauth2 import service_account

        info = json.loads(settings.credentials_json.get_secret_value())
        credentials = service_account.Credentials.from_service_account_info(info)
    return bigquery.Client(
        project=settings.project, location=settings.location, credentials=credentials
    )


class BigQueryWarehouse(Warehouse):
    """Datasets per logical schema in one project; every job is labelled and byte-capped."""

    dialect_name = "bigquery"

    def __init__(self, settings: BigQuerySettings, client: bigquery.Client | None = None) -> None:
        if not settings.project:
            raise WarehouseError("the BigQuery warehouse needs a project (MDP_BIGQUERY__PROJECT)")
        self.settings = settings
        self.project: str = settings.project
        self._client = client

    @property
    def client(self) -> bigquery.Client:
        """The client, created on first use."""
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- names and jobs -------------------------------------------------------------------

    def table_id(self, table: TableRef) -> str:
        """`project.dataset.table` for a logical table."""
        return f"{self.project}.{self.settings.dataset(table.schema)}.{table.name}"

    def _name(self, table: TableRef) -> str:
        return _B.ident(self.table_id(table))

    def _query_config(self, params: Mapping[str, Any] | None = None) -> bigquery.QueryJobConfig:
        return bigquery.QueryJobConfig(
            maximum_bytes_billed=self.settings.maximum_bytes_billed,
            labels=dict(self.settings.job_labels),
            query_parameters=[_param(k, v) for k, v in (params or {}).items()],
        )

    def _run(self, statement: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run one query job and wait for it; errors become WarehouseError."""
        try:
            job = self.client.query(
                statement, job_config=self._query_config(params), location=self.settings.location
            )
            job.result()
            return job
        except GoogleAPIError as error:
            raise WarehouseError(f"BigQuery job failed: {error}") from error

    # -- interface ------------------------------------------------------------------------

    def ensure_schema(self, schema: str) -> None:
        dataset_id = f"{self.project}.{self.settings.dataset(schema)}"
        try:
            # least privilege: the platform's accounts may read datasets (Terraform creates
            # them) but not create them, so look first and create only what is missing
            self.client.get_dataset(dataset_id)
            return
        except NotFound:
            pass
        dataset = bigquery.Dataset(dataset_id)
        dataset.location = self.settings.location
        dataset.labels = dict(self.settings.job_labels)
        self.client.create_dataset(dataset, exists_ok=True)

    def table_exists(self, table: str | TableRef) -> bool:
        try:
            self.client.get_table(self.table_id(TableRef.parse(table)))
        except NotFound:
            return False
        return True

    def list_tables(self, schema: str) -> list[str]:
        dataset = f"{self.project}.{self.settings.dataset(schema)}"
        try:
            return sorted(t.table_id for t in self.client.list_tables(dataset))
        except NotFound:
            return []

    def _write_parquet(self, data: ArrowData, sink: IO[bytes]) -> int:
        """Spool the batches to Parquet (bounded memory); return the row count."""
        writer: pq.ParquetWriter | None = None
        rows = 0
        try:
            for batch in iter_batches(data):
                if writer is None:
                    writer = pq.ParquetWriter(sink, batch.schema)
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        return rows

    def _load(self, sink: IO[bytes], destination: str, config: bigquery.LoadJobConfig) -> None:
        config.source_format = bigquery.SourceFormat.PARQUET
        config.labels = dict(self.settings.job_labels)
        options = bigquery.ParquetOptions()
        options.enable_list_inference = True
        config.parquet_options = options
        try:
            self.client.load_table_from_file(
                sink, destination, rewind=True, job_config=config, location=self.settings.location
            ).result()
        except GoogleAPIError as error:
            raise WarehouseError(f"BigQuery load into {destination} failed: {error}") from error

    def _stage(self, table: TableRef, data: ArrowData) -> tuple[str, int]:
        """Load the batches into a short-lived staging table next to the target."""
        with tempfile.TemporaryFile() as sink:
            rows = self._write_parquet(data, sink)
            if not rows:
                return "", 0
            self.ensure_schema(table.schema)
            stage_ref = TableRef(table.schema, staging_name(table))
            stage_id = self.table_id(stage_ref)
            config = bigquery.LoadJobConfig(
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE
            )
            self._load(sink, stage_id, config)
        staged = self.client.get_table(stage_id)
        staged.expires = datetime.now().astimezone() + _STAGING_TTL
        self.client.update_table(staged, ["expires"])
        return stage_id, rows

    def _validate_keys(self, table: TableRef, stage_id: str, keys: Sequence[str]) -> list[str]:
        columns = [field.name for field in self.client.get_table(stage_id).schema]
        check_keys(table, columns, keys)
        stage = _B.ident(stage_id)
        row = next(iter(self._run(sql.key_profile_sql(_B, stage, keys)).result()))
        profile = {"row_count": row[0], "null_keys": row[1], "duplicate_keys": row[2]}
        duplicates: list[Any] = []
        if profile["duplicate_keys"]:
            result = self._run(sql.duplicate_sample_sql(_B, stage, keys)).result()
            duplicates = [tuple(r.values()) for r in result]
        check_key_profile(table, keys, profile, duplicates)
        return columns

    def _prepare_target(
        self, table: TableRef, stage_id: str, keys: Sequence[str], partition_by: str | None
    ) -> None:
        """Create the target (partitioned, clustered on its keys) or add the batch's new columns."""
        staged = self.client.get_table(stage_id)
        try:
            target = self.client.get_table(self.table_id(table))
        except NotFound:
            self._run(
                create_target_sql(
                    self._name(table), _B.ident(stage_id), staged.schema, keys, partition_by
                )
            )
            return
        known = {field.name for field in target.schema}
        added = [field for field in staged.schema if field.name not in known]
        if added:
            target.schema = list(target.schema) + added
            self.client.update_table(target, ["schema"])

    def merge(
        self,
        table: str | TableRef,
        data: ArrowData,
        keys: Sequence[str],
        *,
        partition_by: str | None = None,
    ) -> LoadResult:
        ref = TableRef.parse(table)
        stage_id, rows = self._stage(ref, data)
        if not rows:
            return LoadResult(str(ref), 0, 0, 0)
        try:
            columns = self._validate_keys(ref, stage_id, keys)
            self._prepare_target(ref, stage_id, keys, partition_by)
            job = self._run(sql.merge_sql(_B, self._name(ref), _B.ident(stage_id), columns, keys))
            stats = getattr(job, "dml_stats", None)
            inserted = int(getattr(stats, "inserted_row_count", 0) or 0)
            updated = int(getattr(stats, "updated_row_count", 0) or 0)
            return LoadResult(str(ref), rows, inserted, updated)
        finally:
            self.client.delete_table(stage_id, not_found_ok=True)

    def replace_partition(
        self,
        table: str | TableRef,
        data: ArrowData,
        *,
        column: str,
        value: date,
        cluster_by: Sequence[str] = (),
    ) -> LoadResult:
        """One load job with WRITE_TRUNCATE into the `table$YYYYMMDD` partition: atomic."""
        ref = TableRef.parse(table)

        self.ensure_schema(ref.schema)
        with tempfile.TemporaryFile() as sink:
            rows = self._write_parquet(only_partition(ref, data, column, value), sink)
            config = bigquery.LoadJobConfig(
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                time_partitioning=bigquery.TimePartitioning(field=column),
                clustering_fields=list(cluster_by)[:4] or None,
                schema_update_options=[bigquery.SchemaUpdateOption.ALLOW_FIELD_ADDITION],
            )
            destination = f"{self.table_id(ref)}${value:%Y%m%d}"
            if rows:
                self._load(sink, destination, config)
            elif self.table_exists(ref):
                day = sql.date_literal(value)
                self._run(sql.delete_partition_sql(_B, self._name(ref), column, day))
        return LoadResult(str(ref), rows, inserted=rows, updated=0)

    def query(self, sql_text: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query (named parameters as `@name`) and return Arrow."""
        result: pa.Table = self._run(sql_text, params).to_arrow()
        return result

    def checksum(self, table: str | TableRef, exclude: Sequence[str] = ()) -> TableChecksum:
        ref = TableRef.parse(table)
        schema = self.client.get_table(self.table_id(ref)).schema
        columns = sorted(f.name for f in schema if f.name not in set(exclude))
        row = next(iter(self._run(sql.checksum_sql(_B, self._name(ref), columns)).result()))
        return TableChecksum(rows=int(row[0]), digest=str(row[1]))

    def get_state(self, key: str) -> str | None:
        ref = TableRef.parse(STATE_TABLE)
        if not self.table_exists(ref):
            return None
        rows = list(
            self._run(
                f"select value from {self._name(ref)} where key = @key", {"key": key}
            ).result()
        )
        return None if not rows else str(rows[0][0])

    def list_state(self, prefix: str = "") -> list[StateEntry]:
        ref = TableRef.parse(STATE_TABLE)
        try:
            stored = self.client.get_table(self.table_id(ref))
        except NotFound:
            return []
        stamped = any(field.name == "updated_at" for field in stored.schema)
        when = "updated_at" if stamped else "cast(null as timestamp) as updated_at"
        rows = self._run(
            f"select key, value, {when} from {self._name(ref)} "
            "where starts_with(key, @prefix) order by key",
            {"prefix": prefix},
        ).result()
        return [StateEntry(str(row[0]), str(row[1]), row[2]) for row in rows]

    def delete_state(self, key: str) -> bool:
        ref = TableRef.parse(STATE_TABLE)
        if not self.table_exists(ref):
            return False
        job = self._run(f"delete from {self._name(ref)} where key = @key", {"key": key})
        return bool(job.num_dml_affected_rows)


def create_target_sql(
    target: str,
    stage: str,
    schema: Sequence[bigquery.SchemaField],
    keys: Sequence[str],
    partition_by: str | None,
) -> str:
    """CREATE TABLE for a new target: date-partitioned when asked, clustered on up to 4 keys."""
    types = {field.name: field.field_type for field in schema}
    lines = [f"create table if not exists {target}"]
    if partition_by:
        kind = types.get(partition_by)
        expression = _B.ident(partition_by)
        if kind in {"TIMESTAMP", "DATETIME"}:
            expression = f"date({expression})"
        lines.append(f"partition by {expression}")
    clusterable = [k for k in keys if types.get(k) not in {"FLOAT", "FLOAT64", "RECORD", "JSON"}]
    if clusterable:
        lines.append("cluster by " + ", ".join(_B.ident(k) for k in clusterable[:4]))
    lines.append(f"as select * from {stage} where false")
    return "\n".join(lines)
