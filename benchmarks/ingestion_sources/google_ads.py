"""Benchmark the Google Ads connector: a full-year sync per scale, rows/s and peak RSS.

Each scale runs in its own process (peak RSS belongs to that scale alone) against the Google Ads
emulator (TLS gRPC, OAuth), loading into a temporary DuckDB with the quality gate on.

    python benchmarks/ingestion_sources/google_ads.py                   # tiny and small
    python benchmarks/ingestion_sources/google_ads.py --scales medium   # choose scales
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


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
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["tiny", "small"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: measure one scale
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)), flush=True)
        return 0
    for scale in args.scales:
        child = subprocess.run(
            [sys.executable, __file__, "--one", scale, "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            print(f"{scale}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"google_ads {result['scale']:>6}: {result['rows']:>7} rows in {result['s']:>6}s "
            f"= {result['rows_s']:>6} rows/s ({result['windows']} windows), "
            f"peak RSS {result['peak_rss_mb']} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
