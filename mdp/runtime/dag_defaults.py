"""The one place for DAG defaults: owner, retries and the failure callback every DAG shares."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param

OWNER = "mdp"
#: Every mdp DAG starts here; backfills go back as far as the sources allow.
START_DATE = datetime(2025, 1, 1)

log = logging.getLogger(__name__)


def log_task_failure(context: dict[str, Any]) -> None:
    """Record which task failed and why, in one line that survives log truncation."""
    ti = context.get("task_instance")
    error = context.get("exception")
    log.error(
        "mdp task failed: dag=%s task=%s run=%s error=%s",
        getattr(ti, "dag_id", "?"),
        getattr(ti, "task_id", "?"),
        getattr(ti, "run_id", "?"),
        error,
    )


default_args: dict[str, Any] = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=20),
    "on_failure_callback": log_task_failure,
}


def backfill_params(**extra: Param) -> dict[str, Param]:
    """The `start`/`end` params every ingest DAG takes for a backfill, plus its own extras."""
    return {
        "start": Param(None, type=["null", "string"], format="date", description="Backfill from"),
        "end": Param(None, type=["null", "string"], format="date", description="Backfill to"),
        **extra,
    }
