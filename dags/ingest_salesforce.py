"""
### ingest_salesforce
Replicates the **Salesforce** CRM objects (Lead, Contact, Account, Opportunity,
OpportunityHistory, Campaign, CampaignMember, Case, User and the custom Subscription__c,
Product_Usage__c) into `raw.salesforce_<object>`, merged on `Id`, soft-deleted rows kept with
`IsDeleted = true`.

A scheduled run reads `SystemModstamp >= cursor` (per object, stored in the warehouse) up to the
end of its data interval. An object's first sync reads its whole history. Trigger with params
`start`/`end` (YYYY-MM-DD) for a backfill: it re-reads every record with `SystemModstamp >= start`
up to now (a CRM keeps only a record's latest state, so the end date does not bound it). Bad
records are quarantined one by one (`quarantine.salesforce_<object>`) while the rest loads; the
task fails, after loading everything else, only when a whole batch is refused or an object stops
on a schema change (see ingestion/contracts.yml).

Credentials: Airflow connection `mdp_salesforce` (login/password = connected-app client id and
secret; extra: `refresh_token`, `token_url`, `api_version`, optional `ca_bundle`).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, backfill_params, default_args

#: Mirrors ingestion.salesforce.RAW_TABLES (not imported: DAG files stay light to parse; a test
#: keeps the two equal).
RAW_TABLES = (
    "raw.salesforce_lead",
    "raw.salesforce_contact",
    "raw.salesforce_account",
    "raw.salesforce_opportunity",
    "raw.salesforce_opportunity_history",
    "raw.salesforce_campaign",
    "raw.salesforce_campaign_member",
    "raw.salesforce_case",
    "raw.salesforce_user",
    "raw.salesforce_subscription",
    "raw.salesforce_product_usage",
)


@dag(
    schedule="@daily",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params=backfill_params(),
    tags=["mdp", "ingest", "salesforce"],
    doc_md=__doc__,
)
def ingest_salesforce() -> None:
    @task(outlets=[table_asset(table) for table in RAW_TABLES])
    def replicate(params: dict | None = None, data_interval_start=None, run_id=None) -> dict:
        from ingestion.salesforce import ingest

        return ingest(params or {}, data_interval_start, run_id)

    replicate()


ingest_salesforce()
