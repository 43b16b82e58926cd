"""One-time local set-up the pipeline needs: Airflow's metadata DB and dbt's manifest."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mdp.errors import PipelineError
from mdp.runtime.airflow_env import airflow_env
from mdp.runtime.dbt import DBT_PROJECT_DIR, MANIFEST_PATH, dbt_env
from mdp.runtime.executables import executable
from mdp.settings import Settings


def _run(command: list[str], env: dict[str, str], what: str, cwd: Path | None = None) -> None:
    result = subprocess.run(
        command, env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise PipelineError(f"{what} failed (exit {result.returncode}): " + " | ".join(tail))


def ensure_airflow_db(settings: Settings, force: bool = False) -> bool:
    """`airflow db migrate` on the local SQLite DB; True when it ran."""
    database = settings.airflow_home / "airflow.db"
    if database.exists() and not force:
        return False
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    _run([executable("airflow"), "db", "migrate"], airflow_env(settings), "airflow db migrate")
    return True


def _newest_source_mtime() -> float:
    newest = 0.0
    for folder in ("models", "macros", "seeds", "tests", "analyses"):
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (DBT_PROJECT_DIR / name).stat().st_mtime)
    return newest


def ensure_dbt_manifest(settings: Settings, force: bool = False) -> bool:
    """`dbt deps` + `dbt parse` when the manifest is missing or older than the project."""
    fresh = MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_source_mtime()
    if fresh and not force:
        return False
    env = dbt_env(settings)
    dbt = executable("dbt")
    _run([dbt, "deps"], env, "dbt deps", cwd=DBT_PROJECT_DIR)
    _run([dbt, "parse"], env, "dbt parse", cwd=DBT_PROJECT_DIR)
    return True
