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

from _harness import peak_rss_mb, per_scale


def measure(scale: str, seed: int) -> dict[str, object]:
    """Full-year sync of one world (no lookback: the year is the window)."""
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
    params = {
        "start": world.config.start.isoformat(),
        "end": world.config.end.isoformat(),
        "lookback_days": 0,
    }
    try:
        started = time.perf_counter()
        summary = ingest(params, None, f"bench-{scale}", docs=False)
        seconds = time.perf_counter() - started
    finally:
        emulator.stop()
    rows = sum(summary["rows"].values())
    return {
        "scale": scale,
        "days": 365,
        "rows": rows,
        "metric_rows": summary["rows"]["raw.google_ads_ad_metrics_daily"],
        "windows": summary["windows"],
        "s": round(seconds, 1),
        "rows_s": int(rows / seconds),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    for _, result in per_scale(__file__, measure, __doc__.splitlines()[0]):
        print(
            f"google_ads {result['scale']:>6}: {result['rows']:>7} rows in {result['s']:>6}s "
            f"= {result['rows_s']:>6} rows/s ({result['windows']} windows), "
            f"peak RSS {result['peak_rss_mb']} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
