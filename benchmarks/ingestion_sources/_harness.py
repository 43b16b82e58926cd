"""What every connector benchmark shares: one child process per scale, peak RSS of that child."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def per_scale(
    script: str, measure: Callable[[str, int], dict[str, Any]], description: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Parse `--scales/--seed`; yield (scale, result) with each scale measured in a fresh child
    (`--one SCALE`), so a scale's peak RSS is its own. In the child, print the result and exit."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scales", nargs="+", default=["tiny", "small"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seed)), flush=True)
        sys.exit(0)
    for scale in args.scales:
        child = subprocess.run(
            [sys.executable, script, "--one", scale, "--seed", str(args.seed)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode:
            print(f"{scale}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
            sys.exit(1)
        yield scale, json.loads(child.stdout.strip().splitlines()[-1])
