"""Meta Ads connector: rows/s and peak RSS for a full-year sync per world scale (own process each).

`python benchmarks/ingestion_sources/facebook_ads.py [scale ...]`; default tiny and small.
Each scale runs in a fresh process against the emulator, loading into a temporary DuckDB with
the quality gate on (per-day windows), so peak RSS is that of one connector run.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SCALES = ("tiny", "small")


def run_scale(scale: str) -> dict[str, object]:
    """One full-year backfill at `scale`; runs inside the child process."""
    home = Path(tempfile.mkdtemp(prefix=f"mdp-bench-meta-{scale}-"))
    os.environ["MDP_HOME"] = str(home)
    os.environ["MDP_DUCKDB_PATH"] = str(home / "warehouse.duckdb")
    logging.disable(logging.WARNING)
    from ingestion.common.quality import QualityGate
    from ingestion.facebook_ads import MetaConfig, sync
    from ingestion.facebook_ads.client import GraphClient
    from mdp.warehouse.duckdb import DuckDBWarehouse
    from sandbox.emulators.facebook_ads.emulator import FacebookAdsEmulator
    from sandbox.emulators.faults import FaultConfig
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=42))
    emulator = FacebookAdsEmulator()
    info = emulator.start(world, FaultConfig(), home)
    extra = {**info.connections["mdp_facebook_ads"]["extra"], "async_poll_seconds": 0.01}
    config = MetaConfig.from_extra(extra, "mdp_facebook_ads").with_params({"lookback_days": 0})
    gate = QualityGate()
    first, last = world.config.start, world.config.end
    started = time.perf_counter()
    with DuckDBWarehouse(home / "warehouse.duckdb") as warehouse:
        summary = sync(warehouse, GraphClient(config), first, last, "bench", True, gate)
    seconds = time.perf_counter() - started
    emulator.stop()
    rows = sum(summary["rows"].values())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "scale": scale,
        "days": (last - first).days + 1,
        "rows": rows,
        "requests": summary["requests"],
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mb": round(peak_kb / 1024),
    }


def main(scales: list[str]) -> int:
    for scale in scales:
        child = subprocess.run(
            [sys.executable, __file__, "--child", scale],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parents[2],
        )
        if child.returncode != 0:
            print(f"facebook_ads {scale}: failed\n{child.stderr[-2000:]}")
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"facebook_ads {result['scale']:>6}: {result['rows']:>7} rows over {result['days']} "
            f"days in {result['seconds']:>6}s = {result['rows_per_s']:>6} rows/s, "
            f"{result['requests']} requests, peak RSS {result['peak_rss_mb']} MB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        print(json.dumps(run_scale(sys.argv[2]), default=str))
        sys.exit(0)
    sys.exit(main(sys.argv[1:] or list(DEFAULT_SCALES)))
