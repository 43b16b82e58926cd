"""
### weekly_report
Every Monday: analyses the A/B tests in marts.fct_experiment_results into
activation.experiment_results (lift, intervals, MDE, sample-ratio check, verdict), then builds
the marketing weekly report of the last complete week (one self-contained HTML file and its PDF
under <MDP home>/reports) and emails it through the Airflow SMTP connection when
MDP_REPORT__RECIPIENTS is set (skipped otherwise). Param `week`: any day of the week to report.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param, dag, task

from mdp.runtime.assets import table_asset
from mdp.runtime.dag_defaults import START_DATE, default_args


@task(outlets=[table_asset("activation.experiment_results")])
def analyse_experiments() -> int:
    """`mdp experiments`: one row per experiment, variant and conversion event."""
    from activation.experiments import run
    from mdp.settings import get_settings

    return run(get_settings()).num_rows


@task
def build(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """`mdp report [--week]`: the HTML and the PDF; returns where they are."""
    from datetime import date

    from activation.report import build_report
    from mdp.settings import get_settings

    week = (params or {}).get("week")
    built = build_report(get_settings(), date.fromisoformat(week) if week else None)
    return {
        "week_start": built.week_start.isoformat(),
        "html": str(built.html),
        "pdf": str(built.pdf),
        "sections": built.sections,
    }


@task
def send(built: dict[str, Any]) -> str:
    """Email the report, or log why not (no recipients, no SMTP connection)."""
    from datetime import date
    from pathlib import Path

    from activation.report import BuiltReport, email_report
    from mdp.settings import get_settings

    report = BuiltReport(
        date.fromisoformat(built["week_start"]),
        Path(built["html"]),
        Path(built["pdf"]),
        built["sections"],
    )
    return email_report(get_settings(), report)


@dag(
    schedule="0 6 * * 1",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    params={
        "week": Param(
            None, type=["null", "string"], format="date", description="Any day of the week"
        )
    },
    tags=["mdp", "activation", "report"],
    doc_md=__doc__,
)
def weekly_report() -> None:
    analysed = analyse_experiments()
    built = build()
    analysed >> built
    send(built)


weekly_report()
