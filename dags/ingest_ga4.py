"""
### ingest_ga4
Loads **Google Analytics 4** into the raw layer, two streams per run:

- `raw.ga4_report_daily` — the Data API daily report (date × source/medium × campaign × device
  × country: sessions, users, key events, revenue), merged on its dimensions and reconciled with
  GA4's own totals for each window;
- `raw.ga4_events` — the event-level export (`events_YYYYMMDD`, nested schema kept), one day per
  partition, swapped whole.

Each run re-pulls the last 3 days before its data interval (GA4 keeps processing a day for
24–48 h), so restated numbers replace the early ones. Trigger with params `start`/`end`
(YYYY-MM-DD) to backfill a range (a window ending after today fails the task with one line);
reruns and backfills are idempotent. A record breaking a quality rule goes to `quarantine.*`
alone and the rest loads; a window or export day refused whole fails the task after the others
loaded.

Credentials and location: Airflow connection `mdp_ga4` (see `ingestion/ga4/README.md`).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.assets import RAW_GA4_EVENTS, table_asset
from mdp.runtime.dag_defaults import START_DATE, backfill_params, default_args

RAW_GA4_REPORT_DAILY = table_asset("raw.ga4_report_daily")


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params=backfill_params(),
    tags=["mdp", "ingest", "ga4"],
    doc_md=__doc__,
)
def ingest_ga4() -> None:
    @task(outlets=[RAW_GA4_REPORT_DAILY, RAW_GA4_EVENTS])
    def ingest(params: dict | None = None, data_interval_start=None, run_id=None) -> dict:
        from ingestion.ga4 import ingest

        return ingest(params or {}, data_interval_start, run_id)

    ingest()


ingest_ga4()
