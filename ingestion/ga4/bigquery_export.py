"""The production export: `analytics_<property>.events_YYYYMMDD` read from BigQuery in pages."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .config import Ga4Config
from .errors import ExportNotReadyError

log = logging.getLogger(__name__)

BIGQUERY_SCOPES = ("https://www.googleapis.com/auth/bigquery.readonly",)
#: Rows per tabledata page: bounds memory whatever the size of the day.
PAGE_ROWS = 50_000


def make_bigquery_client(config: Ga4Config) -> Any:
    """A BigQuery client with the connection's service-account key, else ADC."""
    from google.cloud import bigquery

    credentials = None
    if config.keyfile is not None:
        from google.oauth2 import service_account

        credentials = service_account.Credentials.from_service_account_info(
            config.keyfile, scopes=BIGQUERY_SCOPES
        )
    return bigquery.Client(project=config.export_bigquery_project, credentials=credentials)


class BigQueryExport:
    """Reads a day's export table page by page into a local Parquet file, then deletes it.

    The day goes through a file rather than memory so the quality gate can read the columns it
    checks and the loader can then stream the rest, with memory bounded by one page.
    """

    def __init__(
        self, client: Any, dataset: str, project: str | None = None, page_rows: int = PAGE_ROWS
    ) -> None:
        self.client = client
        self.dataset = dataset
        self.project = project or client.project
        self.page_rows = page_rows

    def table_id(self, day: date) -> str:
        """`project.analytics_<property>.events_YYYYMMDD`."""
        return f"{self.project}.{self.dataset}.events_{day:%Y%m%d}"

    @contextmanager
    def open_day(self, day: date) -> Iterator[Path]:
        from google.api_core.exceptions import NotFound

        table_id = self.table_id(day)
        try:
            table = self.client.get_table(table_id)
        except NotFound:
            raise ExportNotReadyError(
                f"no GA4 export table {table_id}: GA4 writes events_{day:%Y%m%d} about a day "
                "later (events_intraday_ tables are not read)"
            ) from None
        rows = self.client.list_rows(table, page_size=self.page_rows)
        with tempfile.TemporaryDirectory(prefix="mdp-ga4-") as folder:
            path = Path(folder) / f"events_{day:%Y%m%d}.parquet"
            written = self._write(rows.to_arrow_iterable(), path)
            if not written:
                raise ExportNotReadyError(f"GA4 export table {table_id} has no rows")
            log.info("GA4 export %s: %d row(s) read from BigQuery", table_id, written)
            yield path

    @staticmethod
    def _write(batches: Any, path: Path) -> int:
        writer: pq.ParquetWriter | None = None
        rows = 0
        try:
            for batch in batches:
                if writer is None:
                    writer = pq.ParquetWriter(path, batch.schema)
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
        return rows


def export_days_present(
    client: Any, project: str, dataset: str, days: list[date]
) -> tuple[list[date], list[date]]:
    """Which days of the export read in place have their daily table (metadata only: no query,
    no bytes billed), and which do not yet."""
    from google.api_core.exceptions import NotFound

    present: list[date] = []
    absent: list[date] = []
    for day in days:
        try:
            client.get_table(f"{project}.{dataset}.events_{day:%Y%m%d}")
        except NotFound:
            absent.append(day)
        else:
            present.append(day)
    return present, absent
