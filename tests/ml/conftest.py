"""ML tests: a throw-away MLflow store per test (copied from one migrated SQLite file) and a
writable copy of the session's built warehouse, its marts replayed so the tiny world has
enough outcomes in every time window to train on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

#: The tiny world has 45 live leads (5 won) and 16 churns: replaying it 24 times (leads 15 days,
#: customer months a month apart) puts outcomes in every window of the time split (a plumbing
#: test, not a quality one).
REPLAYS = 24

REPLAY_SQL = """
create or replace table marts.fct_leads as
select * replace (
    lead_id || '-' || k as lead_id,
    ga_client_id || '-' || k as ga_client_id,
    created_at + to_days(15 * k) as created_at,
    created_date + to_days(15 * k) as created_date,
    won_at + to_days(15 * k) as won_at
) from marts.fct_leads, range({n}) as r(k);

create or replace table marts.fct_sessions as
select * replace (
    session_key || '-' || k as session_key,
    user_pseudo_id || '-' || k as user_pseudo_id,
    started_at + to_days(15 * k) as started_at,
    session_date + to_days(15 * k) as session_date
) from marts.fct_sessions, range({n}) as r(k);

create or replace table marts.fct_customer_months as
select * replace (
    customer_month_key || '-' || k as customer_month_key,
    account_id || '-' || k as account_id,
    cast(month_start + to_months(k) as date) as month_start
) from marts.fct_customer_months, range({n}) as r(k);
"""


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, migrated once (migrations take seconds)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(scope="session")
def replayed_warehouse(built_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ml-marts") / "warehouse.duckdb"
    shutil.copy(built_warehouse, path)
    con = duckdb.connect(str(path))
    con.execute(REPLAY_SQL.format(n=REPLAYS))
    con.close()
    return path


def _private_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_template: Path, warehouse: Path
) -> Any:
    from mdp.settings import get_settings

    (tmp_path / "mlflow").mkdir()
    shutil.copy(mlflow_template, tmp_path / "mlflow" / "mlflow.db")
    shutil.copy(warehouse, tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("MDP_HOME", str(tmp_path))
    monkeypatch.setenv("MDP_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("MDP_MLFLOW_TRACKING_URI", raising=False)
    # the replayed tiny world is for plumbing: any model better than chance may serve
    monkeypatch.setenv("MDP_ML__MIN_ROC_AUC", "0.5")
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def ml_settings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mlflow_template: Path,
    replayed_warehouse: Path,
) -> Iterator[object]:
    """Settings on a private MDP_HOME: its own MLflow store and a copy of the replayed marts."""
    from mdp.settings import get_settings

    yield _private_settings(tmp_path, monkeypatch, mlflow_template, replayed_warehouse)
    get_settings.cache_clear()


@pytest.fixture
def tiny_settings(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mlflow_template: Path,
    built_warehouse: Path,
) -> Iterator[object]:
    """Settings on a private MDP_HOME: its own MLflow store and a copy of the tiny world's
    marts as dbt built them (not replayed)."""
    from mdp.settings import get_settings

    yield _private_settings(tmp_path, monkeypatch, mlflow_template, built_warehouse)
    get_settings.cache_clear()


def query(settings: Any, sql: str) -> pd.DataFrame:
    """A read-only query of the settings' DuckDB file."""
    con = duckdb.connect(str(settings.duckdb_file), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def execute(settings: Any, sql: str) -> None:
    """Change the settings' (private, copied) DuckDB file."""
    con = duckdb.connect(str(settings.duckdb_file))
    try:
        con.execute(sql)
    finally:
        con.close()


def assert_same_rows(first: pd.DataFrame, second: pd.DataFrame, keys: list[str]) -> None:
    """Equal score tables up to scored_at and row order."""
    a = first.drop(columns=["scored_at"]).sort_values(keys, ignore_index=True)
    b = second.drop(columns=["scored_at"]).sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
