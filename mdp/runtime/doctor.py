"""`mdp doctor`: the effective configuration (redacted) and a check of each dependency."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata

from rich.console import Console
from rich.table import Table

from mdp.logging import redact
from mdp.runtime.airflow_env import sandbox_connections
from mdp.runtime.dbt import DBT_PROJECT_DIR
from mdp.settings import Settings
from mdp.warehouse import get_warehouse

PACKAGES = (
    "apache-airflow",
    "astronomer-cosmos",
    "dbt-core",
    "dbt-duckdb",
    "dbt-bigquery",
    "duckdb",
    "google-cloud-bigquery",
    "google-analytics-data",
    "google-ads",
    "facebook-business",
    "simple-salesforce",
    "hubspot-api-client",
    "great-expectations",
    "mlflow",
    "lightgbm",
    "statsmodels",
)


@dataclass(frozen=True)
class Check:
    """One line of the report; `required` failures make doctor exit non-zero."""

    name: str
    ok: bool
    detail: str
    required: bool = True


def _python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("python", sys.version_info[:2] == (3, 11), version)


def _package(name: str) -> Check:
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(name, False, "not installed (run `make setup`)")
    if name == "dbt-core" and not version.startswith("1.11."):
        return Check(name, False, f"{version}: mdp needs dbt-core 1.11.x")
    return Check(name, True, version)


def _warehouse(settings: Settings) -> Check:
    try:
        with get_warehouse(settings) as warehouse:
            warehouse.query("select 1 as ok")
    except Exception as error:  # noqa: BLE001 - any failure is the finding itself
        return Check(f"warehouse ({settings.warehouse.value})", False, redact(str(error))[:200])
    where = (
        settings.duckdb_file
        if settings.warehouse.value == "duckdb"
        else (settings.bigquery.project)
    )
    return Check(f"warehouse ({settings.warehouse.value})", True, f"reachable: {where}")


def _airflow_db(settings: Settings) -> Check:
    database = settings.airflow_home / "airflow.db"
    return Check(
        "airflow metadata db",
        database.exists(),
        str(database) if database.exists() else "missing (run `mdp setup`)",
    )


def _dbt_project(settings: Settings) -> Check:
    profiles = DBT_PROJECT_DIR / "profiles.yml"
    return Check(
        "dbt project",
        profiles.exists(),
        f"{DBT_PROJECT_DIR} target={settings.effective_dbt_target}",
    )


#: Sources every pipeline run ingests; outside the sandbox their connections must be defined.
INGESTED_SOURCES = ("ga4", "facebook_ads", "google_ads", "salesforce")


def _airflow_db_connections(settings: Settings) -> set[str]:
    """Connection ids stored in Airflow's metadata DB (`mdp airflow connections add`)."""
    database = settings.airflow_home / "airflow.db"
    if not database.exists():
        return set()
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as con:
            return {row[0] for row in con.execute("select conn_id from connection")}
    except sqlite3.Error:  # no table yet: nothing is stored there
        return set()


def _connection_origin(settings: Settings, conn_id: str, stored: set[str]) -> str | None:
    if conn_id in sandbox_connections(settings):
        return "sandbox"
    if f"AIRFLOW_CONN_{conn_id.upper()}" in os.environ:
        return "environment"
    return "airflow metadata db" if conn_id in stored else None


def _required(settings: Settings, source: str) -> bool:
    """Outside the sandbox a run needs every ingested source's connection."""
    return not settings.sandbox and source in INGESTED_SOURCES


def _connections(settings: Settings) -> list[Check]:
    stored = _airflow_db_connections(settings)
    checks = []
    for source, conn_id in settings.connections.model_dump().items():
        origin = _connection_origin(settings, conn_id, stored)
        checks.append(
            Check(
                f"connection {conn_id}",
                origin is not None,
                f"{source}: from {origin}" if origin else f"{source}: not defined",
                required=_required(settings, source),
            )
        )
    return checks


def missing_connections(settings: Settings) -> list[str]:
    """One line per required connection that is not defined: what, and how to define it."""
    stored = _airflow_db_connections(settings)
    return [
        f"connection {conn_id} ({source}) is not defined: set AIRFLOW_CONN_{conn_id.upper()} "
        f"or run `mdp airflow connections add {conn_id} ...`"
        for source, conn_id in settings.connections.model_dump().items()
        if _required(settings, source) and _connection_origin(settings, conn_id, stored) is None
    ]


def run_checks(settings: Settings, console: Console) -> bool:
    """Print the configuration and the checks; True when every required check passes."""
    console.print("[bold]Effective configuration[/] (secrets redacted)")
    console.print_json(json.dumps(settings.redacted()))
    producers: list[Callable[[], Check]] = [_python, *[lambda n=n: _package(n) for n in PACKAGES]]
    checks = [make() for make in producers]
    checks += [_warehouse(settings), _airflow_db(settings), _dbt_project(settings)]
    checks += _connections(settings)
    table = Table("check", "status", "detail")
    for check in checks:
        status = (
            "[green]ok[/]"
            if check.ok
            else ("[red]FAIL[/]" if check.required else "[yellow]warn[/]")
        )
        table.add_row(check.name, status, check.detail)
    console.print(table)
    return all(c.ok for c in checks if c.required)
