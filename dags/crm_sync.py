"""
### crm_sync
Writes the scores sales works from back to the CRMs (reverse ETL, `mdp sync <crm>`): lead score,
tier and reasons, churn risk, predicted LTV and model versions, as mapped in
`activation/crm/mapping.yml`. Runs whenever a score table it reads is updated. Only records whose
values moved since the last successful sync are sent (Salesforce: Bulk API 2.0 upsert jobs;
HubSpot: batch upserts); failed records land in `activation.sync_errors` and are retried next
run; every run leaves an audit row in `activation.sync_log`. A run stops (guardrail) when too
many records would change: review the diff (`mdp sync <crm> --dry-run`, or trigger with
`dry_run`), then `mdp sync <crm> --force` or trigger this DAG with the param `force` = true.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, default_args

#: The score tables the mapping reads; any of them updated is reason to sync.
SCORE_TABLES = ("scores.lead_scores", "scores.churn_scores", "scores.customer_ltv")


@task
def sync_crm(target: str, params: dict | None = None) -> dict[str, object]:
    """`mdp sync <target> [--force] [--dry-run]`: send the changed scores, record errors and
    the run; the log lists what changed per object."""
    import logging

    from activation.crm import run_sync
    from mdp.settings import get_settings

    params = params or {}
    result = run_sync(
        get_settings(),
        target,
        force=bool(params.get("force", False)),
        dry_run=bool(params.get("dry_run", False)),
    )
    log = logging.getLogger(__name__)
    for row in result.objects:
        log.info(
            "%s → %s: %s in scope, %s new, %s changed, %s cleared, %s retried, %s not in the CRM",
            row["object"],
            row["crm_object"],
            *(f"{row[k]:,}" for k in ("in_scope", "new", "changed", "left", "retried")),
            f"{row['not_in_crm']:,}",
        )
    log.info("%s sync %s: %s", target, result.run_id, result.status)
    return {
        "run_id": result.run_id,
        "status": result.status,
        "in_scope": result.in_scope,
        "sent": result.sent,
        "failed": result.failed,
    }


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
    params={
        "force": Param(
            False,
            type="boolean",
            description="Sync although more records would change than the guardrail allows "
            "(MDP_SYNC__GUARDRAIL_SHARE); review a dry run first.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            description="Compute and store the diff (activation.sync_diffs), write nothing.",
        ),
    },
)
def crm_sync() -> None:
    salesforce = sync_crm.override(task_id="sync_salesforce")("salesforce")
    # one after the other: a local DuckDB warehouse takes one writer at a time
    hubspot = sync_crm.override(task_id="sync_hubspot", trigger_rule="all_done")("hubspot")
    salesforce >> hubspot


crm_sync()
