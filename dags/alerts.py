"""
### alerts
Evaluates the alert rules (low ROAS, CTR, spend without conversions, budget pacing, churn risk,
hot leads not contacted) and the daily anomaly checks (spend, leads, revenue, CPA) on the
latest day of the marts (activation/alerts). Every alert is recorded in `activation.alerts`;
the new ones are sent once, as one digest per run (most urgent first, hot leads grouped by
owner with a link to the Salesforce record), to Slack (connection `mdp_slack_alerts`) and by
e-mail when an SMTP connection is configured; an alert is closed when its condition clears.
Runs whenever the marts it reads or the churn, lead or forecast scores are rebuilt; reruns
never resend an open alert.
"""

from __future__ import annotations

from airflow.sdk import AssetAny, dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, default_args

INPUTS = [
    table_asset(name)
    for name in (
        "marts.fct_ad_performance_daily",
        "marts.fct_channel_roi_daily",
        "scores.churn_scores",
        "scores.lead_scores",
        "scores.forecasts",
    )
]


@task(outlets=[table_asset("activation.alerts")])
def evaluate_and_notify() -> None:
    """`mdp alerts`: evaluate, record, send the new alerts."""
    from activation.alerts import run_alerts
    from mdp.settings import get_settings

    run_alerts(get_settings())


@dag(
    schedule=AssetAny(*INPUTS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["mdp", "activation", "alerts"],
    doc_md=__doc__,
)
def alerts() -> None:
    evaluate_and_notify()


alerts()
