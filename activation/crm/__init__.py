"""CRM sync (reverse ETL): the score tables to Salesforce (Bulk API 2.0) and HubSpot (batch
upsert), through the declarative mapping in mapping.yml."""

from __future__ import annotations

from .sync import SyncResult, run_sync

__all__ = ["SyncResult", "run_sync"]
