"""What every connector benchmark shares: one child process per (scale, date range), the child's
peak RSS, and one result shape: {"scale", "days", "streams": {name: {"rows", "s"}}, "peak_rss_mb"}.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

FULL_YEAR = 365

Measure = Callable[[str, int, int], dict[str, Any]]


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def last_days(start: date, end: date, days: int) -> tuple[date, date]:
    """The world's last `days` days (the whole world when it is shorter)."""
    return max(start, end - timedelta(days=days - 1)), end


def stream(rows: int, seconds: float) -> dict[str, Any]:
    """One stream's figures."""
    return {"rows": rows, "s": round(seconds, 2), "rows_s": int(rows / seconds) if seconds else 0}


def run_child(script: str, scale: str, seed: int, days: int) -> dict[str, Any]:
    """Measure one (scale, days) in a fresh process, so its peak RSS is its own."""
    child = subprocess.run(
        [sys.executable, script, "--one", scale, "--seed", str(seed), "--days", str(days)],
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode:
        raise RuntimeError(f"{script} {scale} {days}d failed:\n{child.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def print_result(source: str, result: dict[str, Any]) -> None:
    """One line per stream."""
    for name, figures in result["streams"].items():
        print(
            f"{source:<13}{name:<9}{result['scale']:<8}{result['days']:>5}{figures['rows']:>11,}"
            f"{figures['s']:>9}{figures['rows_s']:>10,}{result['peak_rss_mb']:>13}",
            flush=True,
        )


HEADER = (
    f"{'connector':<13}{'stream':<9}{'scale':<8}{'days':>5}{'rows':>11}{'seconds':>9}"
    f"{'rows/s':>10}{'peak RSS MB':>13}"
)


def main(script: str, source: str, measure: Measure, description: str) -> int:
    """`--scales/--seed/--days`: print each scale's figures, each measured in a fresh child
    (`--one SCALE`); in the child, print the result as JSON and exit."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scales", nargs="+", default=["tiny", "small"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--days", type=int, default=FULL_YEAR, help="the world's last N days")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed, args.days)), flush=True)
        return 0
    print(HEADER)
    for scale in args.scales:
        print_result(source, run_child(script, scale, args.seed, args.days))
    return 0


def per_scale(script: str, measure: Measure, description: str) -> list[dict[str, Any]]:
    """`--scales/--seed` for benchmarks other than a connector's: each scale's result, measured
    in a fresh child (`--one SCALE`); in the child, print the result as JSON and exit."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scales", nargs="+", default=["small", "medium"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--days", type=int, default=FULL_YEAR, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed, args.days)), flush=True)
        sys.exit(0)
    return [run_child(script, scale, args.seed, args.days) for scale in args.scales]
