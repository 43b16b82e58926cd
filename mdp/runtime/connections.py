"""Read Airflow connections the same way inside a task and from the `mdp` CLI."""

from __future__ import annotations

from typing import Any

from mdp.errors import ConfigError


def get_connection(conn_id: str) -> Any:
    """The Airflow Connection (env `AIRFLOW_CONN_*`, secrets backend or metadata DB)."""
    from airflow.sdk import Connection

    try:
        return Connection.get(conn_id)
    except Exception as error:  # the SDK raises its own not-found types per context
        raise ConfigError(
            f"Airflow connection {conn_id!r} is not defined: create it in the Airflow UI, "
            f"set AIRFLOW_CONN_{conn_id.upper()}, or start the sandbox (mdp sandbox up)"
        ) from error


def connection_extra(conn_id: str, key: str) -> Any:
    """One required value from a connection's extra JSON."""
    extra = get_connection(conn_id).extra_dejson
    if key not in extra:
        raise ConfigError(f"Airflow connection {conn_id!r} lacks extra field {key!r}")
    return extra[key]
