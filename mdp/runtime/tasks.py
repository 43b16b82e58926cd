"""Task bodies: what a DAG task (and the matching `mdp` command) calls, with config resolved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from mdp.runtime.connections import connection_extra
from mdp.runtime.dates import days, run_window
from mdp.settings import get_settings
from mdp.warehouse import get_warehouse


def ingest_ga4_export(
    params: Mapping[str, Any], interval_start: datetime | None, run_id: str | None
) -> dict[str, Any]:
    """Load the GA4 export for the run's window, one day at a time."""
    from ingestion.ga4 import load_export_day

    settings = get_settings()
    export_dir = Path(connection_extra(settings.connections.ga4, "export_path"))
    first, last = run_window(params, interval_start)
    rows = 0
    loaded = 0
    with get_warehouse(settings) as warehouse:
        for day in days(first, last):
            rows += load_export_day(warehouse, export_dir, day, run_id or "manual").rows
            loaded += 1
    return {"start": first.isoformat(), "end": last.isoformat(), "days": loaded, "rows": rows}
