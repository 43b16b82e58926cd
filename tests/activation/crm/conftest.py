"""CRM sync tests: score tables in a throw-away DuckDB for ids of the tiny world, and the
Salesforce / HubSpot emulators serving that world (fresh state per test)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from sandbox.emulators.faults import FaultConfig

SNAPSHOT = date(2025, 12, 31)
OLD_SNAPSHOT = date(2025, 11, 30)
SCORED_AT = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
REASONS = ("▲ Booked a demo", "▲ Director-level contact", None)
CLOSED = ("Converted", "Disqualified")


def _live(world: Any, table: str) -> list[dict[str, Any]]:
    return [r for r in world.tables[table].to_pylist() if not r.get("IsDeleted")]


def open_leads(world: Any) -> list[str]:
    """Ids of the leads lead scoring scores: neither deleted, converted nor closed."""
    return [
        r["Id"]
        for r in _live(world, "sf_lead")
        if not r["IsConverted"] and r["Status"] not in CLOSED
    ]


def closed_leads(world: Any) -> dict[str, list[str]]:
    """Ids of converted, disqualified and deleted leads (never scored, never sent)."""
    rows = world.tables["sf_lead"].to_pylist()
    return {
        "converted": [r["Id"] for r in rows if r["IsConverted"] and not r["IsDeleted"]],
        "disqualified": [r["Id"] for r in rows if r["Status"] == "Disqualified"],
        "deleted": [r["Id"] for r in rows if r["IsDeleted"]],
    }


def _provenance(rows: int, name: str, version: str, snapshot: date) -> dict[str, Any]:
    return {
        "model_name": [name] * rows,
        "model_version": [version] * rows,
        "mlflow_run_id": ["0" * 32] * rows,
        "feature_snapshot_date": pa.array([snapshot] * rows, pa.date32()),
        "scored_at": pa.array([SCORED_AT] * rows, pa.timestamp("us", tz="UTC")),
    }


def lead_scores(world: Any, seed: int = 1, ids: list[str] | None = None) -> pa.Table:
    """scores.lead_scores (real columns): every open lead at SNAPSHOT, and an older snapshot
    with other probabilities that the sync must ignore."""
    ids = open_leads(world) if ids is None else ids
    rng = np.random.default_rng(seed)
    tables = []
    for snapshot in (OLD_SNAPSHOT, SNAPSHOT):
        p = rng.uniform(0.0, 1.0, len(ids))
        score = np.rint(p * 100).astype(np.int64)
        tables.append(
            pa.table(
                {
                    "lead_id": pa.array(ids, pa.string()),
                    "score": score,
                    "probability": p,
                    "tier": np.where(score >= 30, "Hot", np.where(score >= 10, "Warm", "Cold")),
                    "reason_1": [REASONS[0]] * len(ids),
                    "reason_2": [REASONS[1]] * len(ids),
                    "reason_3": pa.array([REASONS[2]] * len(ids), pa.string()),
                    **_provenance(len(ids), "mdp_lead_scoring", "3", snapshot),
                }
            )
        )
    return pa.concat_tables(tables)


def churn_scores(world: Any, seed: int = 2) -> pa.Table:
    """scores.churn_scores: every live account, horizons 1 and 3 (each synced to its fields)."""
    ids = [r["Id"] for r in _live(world, "sf_account")]
    rng = np.random.default_rng(seed)
    tables = []
    for horizon in (1, 3):
        p = rng.uniform(0.0, 1.0, len(ids))
        tables.append(
            pa.table(
                {
                    "account_id": ids,
                    "horizon_months": pa.array([horizon] * len(ids), pa.int64()),
                    "horizon": [f"{horizon}M"] * len(ids),
                    "risk_score": np.rint(p * 100).astype(np.int64),
                    "probability": p,
                    "risk_level": np.where(p > 0.7, "High", np.where(p > 0.4, "Medium", "Low")),
                    "reason_1": ["▲ 6 support cases in the last 90 days"] * len(ids),
                    "reason_2": ["▼ Used 70% of seats last month"] * len(ids),
                    "reason_3": ["▲ Active users down 30% over 3 months"] * len(ids),
                    **_provenance(len(ids), f"mdp_churn_{horizon}m", "2", SNAPSHOT),
                }
            )
        )
    return pa.concat_tables(tables)


def customer_ltv(world: Any, seed: int = 3) -> pa.Table:
    """scores.customer_ltv: a contractual row per customer account, plus one self-serve buyer."""
    ids = [r["Id"] for r in _live(world, "sf_account") if r["Type"] == "Customer"]
    ltv = np.random.default_rng(seed).uniform(1_000, 90_000, len(ids))
    customers = [*ids, "buyer-1"]
    rows = len(customers)
    return pa.table(
        {
            "customer_id": customers,
            "ltv_type": ["contractual"] * len(ids) + ["non_contractual"],
            "account_id": [*ids, None],
            "user_pseudo_id": [None] * len(ids) + ["buyer-1"],
            "predicted_ltv": [*ltv, 55.0],
            "horizon_months": pa.array([12] * rows, pa.int64()),
            **_provenance(rows, "mdp_ltv", "7", SNAPSHOT),
        }
    )


def write_scores(path: Path, **tables: pa.Table) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists scores")
    for name, table in tables.items():
        con.register("incoming", table)
        con.execute(f"create or replace table scores.{name} as select * from incoming")
        con.unregister("incoming")
    con.close()


def query(path: Path, sql: str) -> list[dict[str, Any]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).to_arrow_table().to_pylist()
    finally:
        con.close()


@pytest.fixture
def warehouse(tiny_world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DuckDB warehouse holding the three score tables, and settings pointing at it."""
    from mdp.settings import get_settings

    path = tmp_path / "warehouse.duckdb"
    write_scores(
        path,
        lead_scores=lead_scores(tiny_world),
        churn_scores=churn_scores(tiny_world),
        customer_ltv=customer_ltv(tiny_world),
    )
    monkeypatch.setenv("MDP_DUCKDB_PATH", str(path))
    monkeypatch.setenv("MDP_SYNC__SALESFORCE_POLL_SECONDS", "0.01")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def start_emulator(
    tiny_world: Any, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., dict[str, Any]]]:
    """Start the Salesforce or HubSpot emulator (optionally with faults); its Airflow connection
    is set in the environment, as the sandbox does."""
    from sandbox.emulators.hubspot import HubSpotEmulator
    from sandbox.emulators.salesforce import SalesforceEmulator

    home = tmp_path_factory.mktemp("crm-emulators")
    running: list[Any] = []

    def start(name: str, faults: FaultConfig | None = None) -> dict[str, Any]:
        emulator = (
            SalesforceEmulator() if name == "salesforce" else HubSpotEmulator(score_properties=True)
        )
        info = emulator.start(tiny_world, faults or FaultConfig(), home)
        running.append(emulator)
        conn_id = f"mdp_{name}"
        connection = info.connections[conn_id]
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
        return {"emulator": emulator, "connection": connection}

    yield start
    for emulator in running:
        emulator.stop()
