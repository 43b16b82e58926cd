"""
### ingest_facebook_ads
Loads **Meta Ads** (Marketing API, `facebook-business` SDK) into the raw layer:
`raw.facebook_ads_campaigns`, `raw.facebook_ads_adsets`, `raw.facebook_ads_ads` (full refresh,
merged on `id`) and `raw.facebook_ads_insights` (daily ad-level insights, merged on
`account_id, ad_id, date_start`). Every run re-pulls the last `lookback_days` (default 28) days
so Meta's conversion restatements land. A record breaking a quality rule goes to quarantine alone
and the rest loads (the summary counts it); a window whose sums disagree with Meta's account
totals, or with too many bad records, goes to quarantine whole and the task fails, naming it.

Trigger with params `start`/`end` (YYYY-MM-DD) to backfill a range (async report runs for
ranges over 7 days); a window ending after today fails the task with one line. Credentials:
Airflow connection `mdp_facebook_ads` (see `ingestion/facebook_ads/README.md`).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, backfill_params, default_args

RAW_TABLES = (
    "raw.facebook_ads_campaigns",
    "raw.facebook_ads_adsets",
    "raw.facebook_ads_ads",
    "raw.facebook_ads_insights",
)


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params=backfill_params(
        lookback_days=Param(
            None,
            type=["null", "integer"],
            minimum=0,
            maximum=394,
            description="Days re-pulled before the window for restatement (default 28)",
        ),
    ),
    tags=["mdp", "ingest", "facebook_ads"],
    doc_md=__doc__,
)
def ingest_facebook_ads() -> None:
    @task(outlets=[table_asset(table) for table in RAW_TABLES])
    def load_facebook_ads(
        params: dict | None = None, data_interval_start=None, run_id=None
    ) -> dict:
        from ingestion.facebook_ads import ingest

        return ingest(params or {}, data_interval_start, run_id)

    load_facebook_ads()


ingest_facebook_ads()
