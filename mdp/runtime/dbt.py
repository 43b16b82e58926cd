"""Where the dbt project lives and the environment dbt runs with (same file as the warehouse)."""

from __future__ import annotations

import json
import os

from mdp import PROJECT_ROOT
from mdp.settings import Settings, WarehouseKind

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
#: dbt commands that never open the warehouse (the others need the DuckDB file to themselves).
OFFLINE_COMMANDS = frozenset({"parse", "deps", "clean", "list", "ls", "debug", "init"})


def dbt_env(settings: Settings) -> dict[str, str]:
    """Variables profiles.yml reads: target, DuckDB path or BigQuery project/datasets."""
    env = {
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET": settings.effective_dbt_target,
        "MDP_DUCKDB_PATH": str(settings.duckdb_file),
        "MDP_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    if settings.warehouse is WarehouseKind.BIGQUERY:
        env["MDP_BIGQUERY__PROJECT"] = settings.bigquery.project or ""
        env["MDP_BIGQUERY__LOCATION"] = settings.bigquery.location
        env["MDP_BIGQUERY__DATASET_PREFIX"] = settings.bigquery.dataset_prefix
        env["MDP_BIGQUERY__MAXIMUM_BYTES_BILLED"] = str(settings.bigquery.maximum_bytes_billed)
        env["MDP_BIGQUERY__JOB_LABELS"] = json.dumps(settings.bigquery.job_labels)
        if settings.bigquery.ga4_export_dataset:
            env["MDP_BIGQUERY__GA4_EXPORT_DATASET"] = settings.bigquery.ga4_export_dataset
            env["MDP_BIGQUERY__GA4_EXPORT_PROJECT"] = (
                settings.bigquery.ga4_export_project or settings.bigquery.project or ""
            )
    return env


def apply_dbt_env(settings: Settings) -> None:
    """Export the dbt variables in this process (Cosmos and dbt subprocesses inherit them)."""
    os.environ.update(dbt_env(settings))


def opens_warehouse(args: list[str]) -> bool:
    """Whether the dbt command connects to the warehouse (`dbt --version` or `dbt parse` don't)."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    return command is not None and command not in OFFLINE_COMMANDS


def run_dbt(settings: Settings, args: list[str]) -> int:
    """Run a dbt command in-process against dbt_project/ with mdp's profile; return its code.

    A DuckDB file held by another process is refused first with a named error
    (WarehouseBusyError): dbt itself would print tracebacks."""
    if settings.warehouse is WarehouseKind.DUCKDB and opens_warehouse(args):
        from mdp.warehouse.duckdb import ensure_not_in_use

        ensure_not_in_use(settings.duckdb_file)
    from dbt.cli.main import dbtRunner

    apply_dbt_env(settings)
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = dbtRunner().invoke([*args, *project])
    return 0 if result.success else 1


def build(settings: Settings | None = None, select: str | None = None) -> None:
    """`dbt build` of the whole project (or of a `--select` selection); raises TransformError
    when a model or test fails."""
    from mdp.errors import TransformError
    from mdp.settings import get_settings

    args = ["build", *(["--select", select] if select else [])]
    if run_dbt(settings or get_settings(), args) != 0:
        raise TransformError("dbt build failed: see the task log for the failing model or test")
