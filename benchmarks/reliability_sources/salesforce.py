"""Salesforce under faults: the emulated org on the world, the first (full) sync of every
object up to the world's last day, and the world's CRM tables as the truth, every declared
field the world has compared."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

from benchmarks.reliability_sources import Running, Tuning
from benchmarks.reliability_sources.compare import Truth


def start(world: Any, faults: Any, home: Path, tuning: Tuning) -> Running:
    from ingestion.common.retry import RetryPolicy
    from ingestion.salesforce.sync import SyncOptions
    from sandbox.emulators.salesforce.emulator import CONNECTION_ID, SalesforceEmulator

    emulator = SalesforceEmulator()
    info = emulator.start(world, faults, home)
    connection = info.connections[CONNECTION_ID]
    connection["extra"]["timeout_seconds"] = tuning.timeout_seconds
    env = {f"AIRFLOW_CONN_{CONNECTION_ID.upper()}": json.dumps(connection)}
    last_day = datetime.combine(world.config.end, clock(0), tzinfo=UTC)
    policy = RetryPolicy(
        attempts=RetryPolicy().attempts,
        base_seconds=tuning.retry_base_seconds,
        max_wait_seconds=tuning.retry_max_wait_seconds,
    )

    def ingest(run_id: str) -> Any:
        from ingestion.salesforce import ingest

        return ingest({}, last_day, run_id, options=SyncOptions(policy=policy), docs=False)

    app = emulator.app
    assert app is not None
    return Running(
        env=env,
        ingest=ingest,
        injected=lambda: dict(app.injector.injected),
        truths=lambda: truths(world),
        stop=emulator.stop,
    )


def truths(world: Any) -> list[Truth]:
    """Each replicated object's world table, with the declared fields it has."""
    from ingestion.salesforce import OBJECTS
    from ingestion.salesforce.schema import STREAMS
    from sandbox.emulators.salesforce.org_data import SOBJECTS

    world_table = {sobject: name for name, sobject in SOBJECTS.items()}
    out = []
    for sobject in OBJECTS:
        schema = STREAMS[sobject].schema
        rows = world.tables[world_table[sobject]]
        columns = [f.name for f in schema.fields if f.name in rows.column_names]
        out.append(Truth(schema.table, schema.keys, rows.select(columns)))
    return out
