"""Benchmark the sandbox world: generation time, peak memory, Parquet size and row counts.

Each scale runs in its own process so that peak RSS belongs to that scale alone.

    python benchmarks/sandbox_world.py                  # small and medium
    python benchmarks/sandbox_world.py --scales large   # add or choose scales
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAIN_TABLES = (
    "ga4_events",
    "meta_ad_insights_daily",
    "google_ads_metrics_daily",
    "sf_lead",
    "sf_opportunity",
    "sf_account",
    "sf_subscription",
    "sf_product_usage",
    "sf_case",
)


def measure(scale: str, seed: int) -> dict[str, object]:
    """Generate and save one world; report time, peak RSS, disk size and row counts."""
    from sandbox.world import WorldConfig, generate

    started = time.perf_counter()
    world = generate(WorldConfig(scale=scale, seed=seed))
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        world.save(folder)
        saved = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())
    return {
        "scale": scale,
        "generate_s": round(generated, 2),
        "save_s": round(saved, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "parquet_mb": round(size / 1e6, 1),
        "users": int(world.truth["totals"].to_pandas().query("metric == 'users'")["value"].iat[0]),
        "rows": {name: world.tables[name].num_rows for name in MAIN_TABLES},
    }


def _report(results: list[dict[str, object]]) -> None:
    header = f"{'scale':<8}{'generate s':>12}{'save s':>9}{'peak RSS MB':>13}{'Parquet MB':>12}"
    print(header + f"{'users':>10}")
    for r in results:
        print(
            f"{r['scale']:<8}{r['generate_s']:>12}{r['save_s']:>9}{r['peak_rss_mb']:>13}"
            f"{r['parquet_mb']:>12}{r['users']:>10}"
        )
    print()
    print(f"{'rows':<26}" + "".join(f"{r['scale']:>12}" for r in results))
    for name in MAIN_TABLES:
        print(f"{name:<26}" + "".join(f"{r['rows'][name]:>12,}" for r in results))  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "medium"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: measure a single scale
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)))
        return
    results = []
    for scale in args.scales:
        child = subprocess.run(
            [sys.executable, __file__, "--one", scale, "--seed", str(args.seed)],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    _report(results)
    from _figures import write_figures

    write_figures({"results": results})


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
