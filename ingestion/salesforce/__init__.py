"""Salesforce: CRM objects (standard and custom) replicated incrementally on SystemModstamp."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .objects import OBJECTS, RAW_TABLES, table_name

if TYPE_CHECKING:  # the heavy modules load inside `ingest`, so DAG files can import this package
    from ingestion.common.quality import QualityGate

    from .sync import ObjectResult, SyncOptions

__all__ = ["OBJECTS", "RAW_TABLES", "ingest", "quality_gate", "summarise", "table_name"]

log = logging.getLogger(__name__)


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
    """Replicate every object for the run's window: an object's first sync reads all its
    records; params start/end = a backfill of the records changed since start (up to now);
    else from the cursor up to the end of the data interval's day.

    All objects are loaded; records quarantined on their own are counted in the summary and
    logged as a warning. Then, if any batch was refused whole or any object stopped (a schema
    change, a failed query, a corrupt cursor), one error names each of them and why.
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
    client = SalesforceClient(config, run_options.policy)
    client.authenticate()  # a refused or unreachable token endpoint fails before anything else
    gate = quality_gate(docs)
    with get_warehouse(settings) as warehouse:
        results = sync(
            client, warehouse, window, LoadContext(run_id or "manual"), gate, run_options
        )
    if gate is not None:
        gate.publish_docs()
    return summarise(window.first.isoformat(), window.last.isoformat(), results)


def summarise(first: str, last: str, results: list[ObjectResult]) -> dict[str, Any]:
    """The run's summary; warns about quarantined records, and raises a readable error once
    everything loadable was loaded if a batch was refused whole or an object stopped."""
    from .errors import SalesforceIngestError

    for r in results:
        for w in r.partly_quarantined:
            log.warning(
                "%s SystemModstamp %s..%s: %s; the batch's other %d record(s) loaded; see "
                "quarantine.%s batch %s",
                w.table,
                w.first,
                w.last,
                w.reason,
                w.rows,
                w.table.split(".", 1)[1],
                w.batch_id,
            )
    problems = [f"{r.table}: {r.error}" for r in results if r.error]
    problems += [
        f"{w.table} SystemModstamp {w.first}..{w.last} ({w.rows} rows, batch {w.batch_id}): "
        f"{w.reason}"
        for r in results
        for w in r.refused
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
        "quarantined_records": sum(r.quarantined_records for r in results),
        "tables": {
            r.table: {
                "rows": r.rows,
                "cursor": r.cursor,
                "quarantined_records": r.quarantined_records,
            }
            for r in results
        },
    }
