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

from _harness import peak_rss_mb, per_scale


def measure(scale: str, seed: int) -> dict[str, object]:
    """Full-year sync of one world; rows/s per stream and the process's peak RSS."""
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
    window = {"start": world.config.start.isoformat(), "end": world.config.end.isoformat()}
    from ingestion.ga4 import ingest, quality_gate

    quality_gate()  # GE's start-up is paid once per process, not per sync
    results = {"scale": scale}
    try:
        for stream, extra in (
            ("report", {}),
            ("export", {"export_path": str(home / "export")}),
        ):
            conn = {**connection, "extra": dict(connection["extra"])}
            if stream == "export":
                conn["extra"] = extra  # export only
            os.environ[f"AIRFLOW_CONN_{CONNECTION_ID.upper()}"] = json.dumps(conn)
            started = time.perf_counter()
            summary = ingest(window, None, f"bench-{stream}")
            seconds = time.perf_counter() - started
            rows = summary[stream]["rows"]
            results[stream] = {"rows": rows, "s": round(seconds, 1), "rows_s": int(rows / seconds)}
    finally:
        emulator.stop()
    results["peak_rss_mb"] = peak_rss_mb()
    return results


def main() -> int:
    print(f"{'scale':<8}{'stream':<8}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'peak RSS MB':>13}")
    for scale, result in per_scale(__file__, measure, __doc__):
        for stream in ("report", "export"):
            r = result[stream]
            print(
                f"{scale:<8}{stream:<8}{r['rows']:>10,}{r['s']:>10}{r['rows_s']:>10,}"
                f"{result['peak_rss_mb']:>13}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
