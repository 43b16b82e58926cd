"""
### ingest_ga4
Loads the **GA4 BigQuery export** (`events_YYYYMMDD`, nested schema kept) into `raw.ga4_events`,
one day per partition. Each run replaces the days of its window, so reruns and backfills are
idempotent. Trigger with params `start`/`end` (YYYY-MM-DD) to backfill a range.

Credentials and location: Airflow connection `mdp_ga4` (extra: `export_path` locally).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from mdp.runtime.assets import RAW_GA4_EVENTS
from mdp.runtime.dag_defaults import START_DATE, default_args


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params={
        "start": Param(None, type=["null", "string"], format="date", description="Backfill from"),
        "end": Param(None, type=["null", "string"], format="date", description="Backfill to"),
    },
    tags=["mdp", "ingest", "ga4"],
    doc_md=__doc__,
)
def ingest_ga4() -> None:
    @task(outlets=[RAW_GA4_EVENTS])
    def load_export(params: dict | None = None, data_interval_start=None, run_id=None) -> dict:
        from mdp.runtime.tasks import ingest_ga4_export

        return ingest_ga4_export(params or {}, data_interval_start, run_id)

    load_export()


ingest_ga4()
