"""Ingestion throughput and memory: rows/s and peak RSS per connector at two scales (a full-year
sync each), then peak RSS against the date range (the last 30 days vs the full year).

Each connector's script (benchmarks/ingestion_sources/<source>.py) starts its emulator on a
generated world and syncs into a temporary DuckDB, quality gate on; every (scale, range) runs in
its own process so its peak RSS is its own. The emulator and the world live in that process too:
compare RSS between ranges of one scale, not across scales.

    python benchmarks/ingestion.py                          # every connector, small and medium
    python benchmarks/ingestion.py --scales tiny small --sources ga4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCRIPTS = Path(__file__).parent / "ingestion_sources"
sys.path.insert(0, str(SCRIPTS))

from _figures import write_figures  # noqa: E402
from _harness import FULL_YEAR, HEADER, print_result, run_child  # noqa: E402

SOURCES = ("ga4", "facebook_ads", "google_ads", "salesforce")
SHORT_RANGE = 30
GOAL_ROWS_S = 50_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "medium"])
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--range-scale", default=None, help="scale of the 30-vs-365-day RSS check (last --scales)"
    )
    args = parser.parse_args()
    range_scale = args.range_scale or args.scales[-1]
    print(f"Throughput, full-year sync (goal >= {GOAL_ROWS_S:,} rows/s per connector)\n{HEADER}")
    full: dict[tuple[str, str], dict] = {}
    for source in args.sources:
        script = str(SCRIPTS / f"{source}.py")
        for scale in args.scales:
            full[source, scale] = run_child(script, scale, args.seed, FULL_YEAR)
            print_result(source, full[source, scale])
    print(f"\nPeak RSS against the date range ({range_scale} world)")
    short_label, year_label = f"{SHORT_RANGE} days MB", f"{FULL_YEAR} days MB"
    print(f"{'connector':<13}{short_label:>13}{year_label:>14}{'ratio':>8}")
    ranges = []
    for source in args.sources:
        script = str(SCRIPTS / f"{source}.py")
        short = run_child(script, range_scale, args.seed, SHORT_RANGE)["peak_rss_mb"]
        year = full.get((source, range_scale)) or run_child(
            script, range_scale, args.seed, FULL_YEAR
        )
        ratio = year["peak_rss_mb"] / short
        print(f"{source:<13}{short:>13}{year['peak_rss_mb']:>14}{ratio:>8.2f}")
        ranges.append(
            {
                "source": source,
                "scale": range_scale,
                "short_mb": short,
                "year_mb": year["peak_rss_mb"],
            }
        )
    throughput = [{"source": source, **result} for (source, _), result in full.items()]
    write_figures({"goal_rows_s": GOAL_ROWS_S, "throughput": throughput, "range": ranges})
    return 0


if __name__ == "__main__":
    sys.exit(main())
