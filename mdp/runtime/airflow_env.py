"""Environment for local Airflow: AIRFLOW_HOME under .local, SQLite, dags/, connections from env."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mdp import PROJECT_ROOT
from mdp.settings import Settings

DAGS_FOLDER = PROJECT_ROOT / "dags"
SANDBOX_STATE_FILE = "sandbox/state.json"


def sandbox_state_path(settings: Settings) -> Path:
    """Where `mdp sandbox up` records its endpoints, credentials and pids."""
    return settings.home / SANDBOX_STATE_FILE


def sandbox_connections(settings: Settings) -> dict[str, dict[str, object]]:
    """Airflow connections (as JSON dicts) for the running sandbox, keyed by connection id."""
    path = sandbox_state_path(settings)
    if not settings.sandbox or not path.exists():
        return {}
    state = json.loads(path.read_text())
    return dict(state.get("connections", {}))


def connection_env(connections: Mapping[str, Mapping[str, object]]) -> dict[str, str]:
    """`AIRFLOW_CONN_<ID>` variables: Airflow reads connections from them, nothing is stored."""
    return {
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(conn) for conn_id, conn in connections.items()
    }


def airflow_env(settings: Settings) -> dict[str, str]:
    """Variables that make every Airflow command (and dag.test) use the local setup."""
    home = settings.airflow_home
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": "8080",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        # No usage telemetry leaves the machine (Cosmos and Airflow both phone home by default).
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
        # mdp's own settings travel with the tasks (the API server and workers are subprocesses).
        "MDP_HOME": str(settings.home),
        "MDP_WAREHOUSE": settings.warehouse.value,
        "MDP_DUCKDB_PATH": str(settings.duckdb_file),
        "MDP_MLFLOW_TRACKING_URI": settings.mlflow_uri,
        # Airflow starts its own components (`airflow scheduler` …) by name: the locked
        # environment's tools come first on PATH.
        "PATH": os.pathsep.join(
            p for p in (str(Path(sys.executable).parent), os.environ.get("PATH", "")) if p
        ),
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    env.update(connection_env(sandbox_connections(settings)))
    return env


def apply_airflow_env(settings: Settings) -> None:
    """Set the variables in this process; call before the first `import airflow`."""
    os.environ.update(airflow_env(settings))
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
