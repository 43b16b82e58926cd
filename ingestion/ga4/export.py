"""Load one day of the GA4 BigQuery export (`events_YYYYMMDD`) into raw.ga4_events, nested as is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.common.metadata import LoadContext, stamp_all
from mdp.warehouse import LoadResult, Warehouse

from .errors import ExportNotReadyError

RAW_EVENTS_TABLE = "raw.ga4_events"
#: The day a row was exported for: the partition the loader replaces on every (re)run.
PARTITION_COLUMN = "_mdp_partition_date"
BATCH_ROWS = 50_000


def export_file(export_dir: Path, day: date) -> Path:
    """The daily export file the sandbox (or a GCS export) writes: events_YYYYMMDD.parquet."""
    return export_dir / f"events_{day:%Y%m%d}.parquet"


def load_export_day(warehouse: Warehouse, export_dir: Path, day: date, run_id: str) -> LoadResult:
    """Replace the day's partition of raw.ga4_events with the export file, in bounded batches.

    Rerunning a day gives the same table: GA4 rewrites a day's export while it is still being
    processed, so the whole partition is swapped atomically rather than appended to.
    """
    path = export_file(export_dir, day)
    if not path.exists():
        raise ExportNotReadyError(
            f"no GA4 export for {day} at {path}: GA4 writes events_{day:%Y%m%d} about a day later"
        )
    context = LoadContext(run_id)
    batches = (
        batch.append_column(PARTITION_COLUMN, pa.array([day] * batch.num_rows, pa.date32()))
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS)
    )
    return warehouse.replace_partition(
        RAW_EVENTS_TABLE,
        stamp_all(batches, context),
        column=PARTITION_COLUMN,
        value=day,
    )
