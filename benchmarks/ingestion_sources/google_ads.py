"""Benchmark the Google Ads connector: a full-year sync per scale, rows/s and peak RSS.

Each scale runs in its own process (peak RSS belongs to that scale alone) against the Google Ads
emulator (TLS gRPC, OAuth), loading into a temporary DuckDB with the quality gate on.

    python benchmarks/ingestion_sources/google_ads.py                   # tiny and small
    python benchmarks/ingestion_sources/google_ads.py --scales medium   # choose scales
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
    """Sync the world's last `days` days (no lookback: the range is the window)."""
    home = Path(tempfile.mkdtemp(prefix="mdp-bench-google-ads-"))
    os.environ["MDP_HOME"] = str(home)
    os.environ["MDP_DUCKDB_PATH"] = str(home / "warehouse.duckdb")
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import load_settings

    apply_airflow_env(load_settings())
    from sandbox.emulators.faults import FaultConfig
    from sandbox.emulators.google_ads import CONNECTION_ID, GoogleAdsEmulator
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=seed))
    emulator = GoogleAdsEmulator()
    info = emulator.start(world, FaultConfig(), home)
    os.environ[f"AIRFLOW_CONN_{CONNECTION_ID.upper()}"] = json.dumps(
        info.connections[CONNECTION_ID]
    )
    from ingestion.common.quality import shared_gate
    from ingestion.google_ads import ingest

    shared_gate(False)  # GE's start-up is paid once per process, not per sync
    first, last = last_days(world.config.start, world.config.end, days)
    params = {"start": first.isoformat(), "end": last.isoformat(), "lookback_days": 0}
    try:
        started = time.perf_counter()
        summary = ingest(params, None, f"bench-{scale}", docs=False)
        seconds = time.perf_counter() - started
    finally:
        emulator.stop()
    rows = sum(summary["rows"].values())
    return {
        "scale": scale,
        "days": days,
        "streams": {"all": stream(rows, seconds)},
        "windows": summary["windows"],
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    sys.exit(main(__file__, "google_ads", measure, __doc__.splitlines()[0]))
