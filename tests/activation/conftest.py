"""Activation tests: a writable copy of the session's built warehouse on a private MDP home."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def warehouse_settings(
    built_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Settings whose home is tmp_path and whose DuckDB file is a copy of the built marts."""
    from mdp.settings import get_settings

    shutil.copy(built_warehouse, tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("MDP_HOME", str(tmp_path))
    monkeypatch.setenv("MDP_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
