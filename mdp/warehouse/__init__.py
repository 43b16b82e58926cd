"""The warehouse layer: one small interface, DuckDB locally and BigQuery in production."""

from __future__ import annotations

from mdp.settings import Settings, WarehouseKind, get_settings
from mdp.warehouse.base import LoadResult, StateEntry, TableChecksum, TableRef, Warehouse

__all__ = ["LoadResult", "StateEntry", "TableChecksum", "TableRef", "Warehouse", "get_warehouse"]


def get_warehouse(settings: Settings | None = None) -> Warehouse:
    """The configured backend; use it as a context manager for one unit of work."""
    settings = settings or get_settings()
    if settings.warehouse is WarehouseKind.BIGQUERY:
        from mdp.warehouse.bigquery import BigQueryWarehouse

        settings.require_bigquery_project()
        return BigQueryWarehouse(settings.bigquery)
    from mdp.warehouse.duckdb import DuckDBWarehouse

    return DuckDBWarehouse(settings.duckdb_file, memory_limit=settings.duckdb_memory_limit)
