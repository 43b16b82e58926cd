"""
### ingest_google_ads
Loads **Google Ads** through GAQL `SearchStream` into `raw.google_ads_campaigns`,
`raw.google_ads_ad_groups`, `raw.google_ads_ads` (full refresh, merged on ids) and
`raw.google_ads_ad_metrics_daily` (daily rows, one query per customer per load window, merged on
`customer_id, ad_id, date`). Every run re-pulls the 30-day conversion window, so restated
conversions land; reruns and backfills are idempotent. A record breaking a quality rule goes to
`quarantine.*` alone and the rest loads; a window refused whole (sums disagreeing with the
account's, too many bad records) fails the task after the rest loaded.

Params: `start`/`end` (YYYY-MM-DD) backfill a range (a window ending after today fails the task
with one line); `lookback_days` overrides the conversion window. Credentials: Airflow connection
`mdp_google_ads` (see `ingestion/google_ads/README.md`).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, backfill_params, default_args

#: Mirrors ingestion.google_ads.RAW_TABLES (not imported: DAG files stay light to parse).
RAW_TABLES = (
    "raw.google_ads_campaigns",
    "raw.google_ads_ad_groups",
    "raw.google_ads_ads",
    "raw.google_ads_ad_metrics_daily",
)


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params=backfill_params(
        lookback_days=Param(
            None, type=["null", "integer"], minimum=0, description="Conversion window (30)"
        ),
    ),
    tags=["mdp", "ingest", "google_ads"],
    doc_md=__doc__,
)
def ingest_google_ads() -> None:
    @task(outlets=[table_asset(table) for table in RAW_TABLES])
    def load_google_ads(params: dict | None = None, data_interval_start=None, run_id=None) -> dict:
        from ingestion.google_ads import ingest

        return ingest(params or {}, data_interval_start, run_id)

    load_google_ads()


ingest_google_ads()
