"""Benchmark the Meta Ads connector: objects and ad-level daily insights for the world's last N
days (a full year by default) per scale, against the Graph emulator, into a temporary DuckDB.

Each scale runs in its own process (peak RSS belongs to that scale alone), quality gate on,
restatement lookback off (the range is the window), async report polls without sleeping.

    python benchmarks/ingestion_sources/facebook_ads.py                     # tiny and small
    python benchmarks/ingestion_sources/facebook_ads.py --scales medium     # choose scales
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from _harness import last_days, main, peak_rss_mb, stream


def measure(scale: str, seed: int, days: int) -> dict[str, object]:
    """Sync the world's last `days` days; rows/s and the process's peak RSS."""
    home = Path(tempfile.mkdtemp(prefix="mdp-bench-meta-"))
    os.environ["MDP_HOME"] = str(home)
    logging.disable(logging.WARNING)
    from ingestion.common.quality import shared_gate
    from ingestion.facebook_ads import MetaConfig, sync
    from ingestion.facebook_ads.client import GraphClient
    from mdp.warehouse.duckdb import DuckDBWarehouse
    from sandbox.emulators.facebook_ads.emulator import FacebookAdsEmulator
    from sandbox.emulators.faults import FaultConfig
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=seed))
    emulator = FacebookAdsEmulator()
    info = emulator.start(world, FaultConfig(), home)
    extra = {**info.connections["mdp_facebook_ads"]["extra"], "async_poll_seconds": 0.01}
    config = MetaConfig.from_extra(extra, "mdp_facebook_ads").with_params({"lookback_days": 0})
    gate = shared_gate(False)  # GE's start-up is paid once per process, not per sync
    first, last = last_days(world.config.start, world.config.end, days)
    try:
        started = time.perf_counter()
        with DuckDBWarehouse(home / "warehouse.duckdb") as warehouse:
            summary = sync(warehouse, GraphClient(config), first, last, "bench", True, gate)
        seconds = time.perf_counter() - started
    finally:
        emulator.stop()
    return {
        "scale": scale,
        "days": days,
        "streams": {"all": stream(sum(summary["rows"].values()), seconds)},
        "requests": summary["requests"],
        "peak_rss_mb": peak_rss_mb(),
    }


if __name__ == "__main__":
    sys.exit(main(__file__, "facebook_ads", measure, __doc__.splitlines()[0]))
