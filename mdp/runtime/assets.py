"""Airflow Assets for warehouse tables, so DAGs can be scheduled on the data they need."""

from __future__ import annotations

from airflow.sdk import Asset


def table_asset(table: str) -> Asset:
    """The Asset for a logical `schema.table` (the same URI whatever the backend)."""
    schema, name = table.split(".")
    return Asset(name=table, uri=f"mdp://warehouse/{schema}/{name}", group="warehouse")


RAW_GA4_EVENTS = table_asset("raw.ga4_events")
