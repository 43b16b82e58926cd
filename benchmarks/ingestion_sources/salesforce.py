"""Benchmark the Salesforce connector: a full sync of every object (all history up to the
world's last day) per scale, against the emulated org, into a temporary DuckDB.

Each scale runs in its own process, so peak RSS belongs to that scale alone. The sync is timed
with the quality gate on (GE's start-up paid before the clock starts) and, for the raw throughput
of the extraction and merge path, with it off.

    python benchmarks/ingestion_sources/salesforce.py                  # tiny and small
    python benchmarks/ingestion_sources/salesforce.py --scales medium  # choose scales
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock
from pathlib import Path

from _harness import FULL_YEAR, last_days, main, peak_rss_mb, stream


def measure(scale: str, seed: int, days: int) -> dict[str, object]:
    """One world: sync with and without the gate; rows/s and the process's peak RSS. A full
    year is the whole org's history up to the world's last day (the first sync); fewer days are a
    SystemModstamp backfill of the world's last `days` days."""
    home = Path(tempfile.mkdtemp(prefix="mdp-bench-sf-"))
    os.environ["MDP_HOME"] = str(home)
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import get_settings, load_settings

    apply_airflow_env(load_settings())
    from sandbox.emulators.faults import FaultConfig
    from sandbox.emulators.salesforce.emulator import CONNECTION_ID, SalesforceEmulator
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=seed))
    emulator = SalesforceEmulator()
    info = emulator.start(world, FaultConfig(), home)
    os.environ[f"AIRFLOW_CONN_{CONNECTION_ID.upper()}"] = json.dumps(
        info.connections[CONNECTION_ID]
    )
    import ingestion.salesforce as salesforce

    last_day = datetime.combine(world.config.end, clock(0), tzinfo=UTC)
    params: dict[str, str] = {}
    if days < FULL_YEAR:
        first, last = last_days(world.config.start, world.config.end, days)
        params = {"start": first.isoformat(), "end": last.isoformat()}
    salesforce.quality_gate(None)  # GE's start-up is paid once per process, not per sync
    streams = {}
    try:
        for mode, gated in (("gated", True), ("no_gate", False)):
            os.environ["MDP_DUCKDB_PATH"] = str(home / f"{mode}.duckdb")
            get_settings.cache_clear()
            if not gated:
                salesforce.quality_gate = lambda docs_dir: None  # type: ignore[assignment]
            started = time.perf_counter()
            summary = salesforce.ingest(params, last_day, f"bench-{mode}", docs=False)
            seconds = time.perf_counter() - started
            rows = summary["rows"]
            streams[mode] = stream(rows, seconds)
    finally:
        emulator.stop()
    return {"scale": scale, "days": days, "streams": streams, "peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    sys.exit(main(__file__, "salesforce", measure, __doc__.splitlines()[0]))
