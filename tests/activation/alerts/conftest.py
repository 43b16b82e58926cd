"""Alert tests: a writable copy of the session's built warehouse and a Slack webhook sink."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.webhook import WebhookEmulator


@pytest.fixture
def warehouse_copy(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Settings whose DuckDB file is a private copy of the built tiny-world warehouse."""
    from mdp.settings import get_settings

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, path)
    monkeypatch.setenv("MDP_DUCKDB_PATH", str(path))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorInfo]:
    """The webhook sink, with its `mdp_slack_alerts` connection defined for Airflow."""
    emulator = WebhookEmulator()
    info = emulator.start(None, FaultConfig(), tmp_path / "sink")
    connection = info.connections["mdp_slack_alerts"]
    monkeypatch.setenv("AIRFLOW_CONN_MDP_SLACK_ALERTS", json.dumps(connection))
    try:
        yield info
    finally:
        emulator.stop()


def received(info: EmulatorInfo) -> list[dict[str, Any]]:
    """Messages the sink accepted on the alerts channel."""
    url = info.endpoints["received messages"]
    messages: list[dict[str, Any]] = requests.get(
        url, params={"channel": "alerts"}, timeout=5
    ).json()
    return messages
