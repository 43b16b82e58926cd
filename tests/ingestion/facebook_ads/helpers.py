"""Run the Meta connector into a given DuckDB file and read back what it wrote."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingestion.common.metadata import LOAD_COLUMNS
from ingestion.facebook_ads import RAW_TABLES, ingest
from mdp.settings import get_settings
from mdp.warehouse.duckdb import DuckDBWarehouse

INSIGHTS = "raw.facebook_ads_insights"


def run_into(path: Path, params: Mapping[str, Any], run_id: str = "test") -> dict[str, Any]:
    """`ingest` with the warehouse at `path` (settings are re-read for it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MDP_DUCKDB_PATH", str(path))
        get_settings.cache_clear()
        try:
            return ingest(params, None, run_id)
        finally:
            get_settings.cache_clear()


def checksums(path: Path) -> dict[str, Any]:
    with DuckDBWarehouse(path) as wh:
        return {t: wh.checksum(t, exclude=LOAD_COLUMNS) for t in RAW_TABLES if wh.table_exists(t)}


def query(path: Path, sql: str) -> list[dict[str, Any]]:
    with DuckDBWarehouse(path) as wh:
        return wh.query(sql).to_pylist()


def as_cents(value: Any) -> int:
    """Money compared exactly: Decimal or float to integer cents."""
    return int((Decimal(str(value)) * 100).to_integral_value())
