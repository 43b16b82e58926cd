"""Benchmark the GA4 connector: a full-year sync (Data API report + event export) per scale.

Each scale runs in its own process (peak RSS belongs to that scale alone), against the Data API
emulator and the sandbox's export files, into a temporary DuckDB.

    python benchmarks/ingestion_sources/ga4.py                     # tiny and small
    python benchmarks/ingestion_sources/ga4.py --scales medium     # choose scales
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from _harness import last_days, main, peak_rss_mb, stream


def measure(scale: str, seed: int, days: int) -> dict[str, object]:
    """Sync the world's last `days` days; rows/s per stream and the process's peak RSS."""
    home = Path(tempfile.mkdtemp(prefix="mdp-bench-ga4-"))
    os.environ["MDP_HOME"] = str(home)
    os.environ["MDP_DUCKDB_PATH"] = str(home / "warehouse.duckdb")
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import load_settings

    apply_airflow_env(load_settings())
    from sandbox.emulators.faults import FaultConfig
    from sandbox.emulators.ga4 import CONNECTION_ID, Ga4Emulator
    from sandbox.world import WorldConfig, generate, write_ga4_export

    world = generate(WorldConfig(scale=scale, seed=seed))
    write_ga4_export(world, home / "export")
    emulator = Ga4Emulator()
    info = emulator.start(world, FaultConfig(), home)
    connection = info.connections[CONNECTION_ID]
    first, last = last_days(world.config.start, world.config.end, days)
    window = {"start": first.isoformat(), "end": last.isoformat()}
    from ingestion.ga4 import ingest, quality_gate

    quality_gate()  # GE's start-up is paid once per process, not per sync
    streams = {}
    try:
        for name, extra in (
            ("report", {}),
            ("export", {"export_path": str(home / "export")}),
        ):
            conn = {**connection, "extra": dict(connection["extra"])}
            if name == "export":
                conn["extra"] = extra  # export only
            os.environ[f"AIRFLOW_CONN_{CONNECTION_ID.upper()}"] = json.dumps(conn)
            started = time.perf_counter()
            summary = ingest(window, None, f"bench-{name}")
            seconds = time.perf_counter() - started
            rows = summary[name]["rows"]
            streams[name] = stream(rows, seconds)
    finally:
        emulator.stop()
    return {"scale": scale, "days": days, "streams": streams, "peak_rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    sys.exit(main(__file__, "ga4", measure, __doc__.splitlines()[0]))
