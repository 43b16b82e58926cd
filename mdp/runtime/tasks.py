"""Task bodies: what a DAG task (and the matching `mdp` command) calls, with config resolved."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from mdp.runtime.connections import connection_extra
from mdp.runtime.dates import days, run_window
from mdp.settings import get_settings
from mdp.warehouse import get_warehouse

log = logging.getLogger(__name__)


def ingest_ga4_export(
    params: Mapping[str, Any], interval_start: datetime | None, run_id: str | None
) -> dict[str, Any]:
    """Load the GA4 export for the run's window, one day at a time.

    A property writes no daily table for a day without events, so missing days inside a window
    are skipped and reported; a window with no export at all fails (the export is not ready).
    """
    from ingestion.ga4 import load_export_day
    from ingestion.ga4.errors import ExportNotReadyError

    settings = get_settings()
    export_dir = Path(connection_extra(settings.connections.ga4, "export_path"))
    first, last = run_window(params, interval_start)
    rows, loaded, missing = 0, 0, []
    with get_warehouse(settings) as warehouse:
        for day in days(first, last):
            try:
                rows += load_export_day(warehouse, export_dir, day, run_id or "manual").rows
                loaded += 1
            except ExportNotReadyError:
                missing.append(day.isoformat())
    if not loaded:
        raise ExportNotReadyError(
            f"no GA4 export for any day from {first} to {last} in {export_dir}"
        )
    if missing:
        log.warning("GA4 export has no table for %d day(s): %s", len(missing), ", ".join(missing))
    return {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "days": loaded,
        "rows": rows,
        "missing_days": missing,
    }
