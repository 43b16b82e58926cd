"""Salesforce: CRM objects (standard and custom) replicated incrementally on SystemModstamp."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .objects import OBJECTS, RAW_TABLES, table_name

if TYPE_CHECKING:  # the heavy modules load inside `ingest`, so DAG files can import this package
    from ingestion.common.quality import QualityGate

    from .sync import ObjectResult, SyncOptions

__all__ = ["OBJECTS", "RAW_TABLES", "ingest", "quality_gate", "summarise", "table_name"]


def quality_gate(docs: bool) -> QualityGate | None:
    """The process's shared gate (a name of this package's, so tests can swap it)."""
    from ingestion.common.quality import shared_gate

    return shared_gate(docs)


def ingest(
    params: Mapping[str, Any],
    interval_start: datetime | None,
    run_id: str | None,
    *,
    options: SyncOptions | None = None,
    docs: bool = True,
) -> dict[str, Any]:
    """Replicate every object for the run's window (params start/end = a SystemModstamp
    backfill, else the cursor up to the end of the data interval's day).

    All objects are loaded; then, if any batch was quarantined or any object failed, one error
    names each of them and why.
    """
    from ingestion.common.metadata import LoadContext
    from mdp.runtime.connections import get_connection
    from mdp.runtime.dates import run_window
    from mdp.settings import get_settings
    from mdp.warehouse import get_warehouse

    from .client import ConnectionConfig, SalesforceClient
    from .sync import RunWindow, SyncOptions, sync

    settings = get_settings()
    run_options = options or SyncOptions()
    config = ConnectionConfig.from_connection(get_connection(settings.connections.salesforce))
    first, last = run_window(params, interval_start)
    window = RunWindow(first, last, backfill=bool(params.get("start") or params.get("end")))
    gate = quality_gate(docs)
    client = SalesforceClient(config, run_options.policy)
    client.authenticate()  # a refused refresh token fails the run before anything is read
    with get_warehouse(settings) as warehouse:
        results = sync(
            client, warehouse, window, LoadContext(run_id or "manual"), gate, run_options
        )
    if gate is not None:
        gate.publish_docs()
    return summarise(window.first.isoformat(), window.last.isoformat(), results)


def summarise(first: str, last: str, results: list[ObjectResult]) -> dict[str, Any]:
    """The run's summary; raises a readable error once everything loadable was loaded."""
    from .errors import SalesforceIngestError

    problems = [f"{r.table}: {r.error}" for r in results if r.error]
    problems += [
        f"{w.table} SystemModstamp {w.first}..{w.last} ({w.rows} rows, batch {w.batch_id}): "
        f"{w.reason}"
        for r in results
        for w in r.quarantined
    ]
    if problems:
        raise SalesforceIngestError(
            f"Salesforce run {first}..{last}: {len(problems)} problem(s); everything else was "
            "loaded:\n- " + "\n- ".join(problems)
        )
    return {
        "start": first,
        "end": last,
        "rows": sum(r.rows for r in results),
        "tables": {r.table: {"rows": r.rows, "cursor": r.cursor} for r in results},
    }
