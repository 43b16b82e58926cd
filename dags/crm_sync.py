"""
### crm_sync
Writes the scores sales works from back to the CRMs (reverse ETL, `mdp sync <crm>`): lead score,
tier and reasons, churn risk, predicted LTV and model versions, as mapped in
`activation/crm/mapping.yml`. Runs whenever a score table it reads is updated. Only records whose
values moved since the last successful sync are sent (Salesforce: Bulk API 2.0 upsert jobs;
HubSpot: batch upserts); failed records land in `activation.sync_errors` and are retried next
run; every run leaves an audit row in `activation.sync_log`. A run stops (guardrail) when too
many records would change: review, then `mdp sync <crm> --force`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, default_args

#: The score tables the mapping reads; any of them updated is reason to sync.
SCORE_TABLES = ("scores.lead_scores", "scores.churn_scores", "scores.customer_ltv")


@task
def sync_crm(target: str) -> dict[str, object]:
    """`mdp sync <target>`: send the changed scores, record errors and the run."""
    from activation.crm import run_sync
    from mdp.settings import get_settings

    result = run_sync(get_settings(), target)
    return {"run_id": result.run_id, "sent": result.sent, "failed": result.failed}


@dag(
    schedule=(
        table_asset(SCORE_TABLES[0]) | table_asset(SCORE_TABLES[1]) | table_asset(SCORE_TABLES[2])
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["mdp", "activation", "crm"],
    doc_md=__doc__,
)
def crm_sync() -> None:
    salesforce = sync_crm.override(task_id="sync_salesforce")("salesforce")
    # one after the other: a local DuckDB warehouse takes one writer at a time
    hubspot = sync_crm.override(task_id="sync_hubspot", trigger_rule="all_done")("hubspot")
    salesforce >> hubspot


crm_sync()
