"""`python -m benchmarks`: run every benchmark script in this folder, each in its own process,
then write benchmarks/RESULTS.md (machine, goal checks, one table per benchmark).

    python -m benchmarks                                   # small and medium
    python -m benchmarks --scales small medium large       # add the large world
    python -m benchmarks --scales tiny --repeats 1 --journeys 10000   # a quick check
    python -m benchmarks --only pipeline crm_sync          # some benchmarks
    python -m benchmarks --only reliability --scales small # rows lost at 10 % and 30 % faults
    python -m benchmarks --include-pipeline large.json     # plus a large run made earlier
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._figures import ENV
from benchmarks._results import machine, render

HERE = Path(__file__).parent
ORDER = ("tiny", "small", "medium", "large")


def script_args(name: str, args: argparse.Namespace) -> list[str]:
    """Each script's own options from the shared ones (its defaults when not given)."""
    scales = sorted(args.scales, key=ORDER.index)
    if name == "pipeline":
        repeats = ["--repeats", str(args.repeats)] if args.repeats else []
        earlier = ["--include", *map(str, args.include_pipeline)] if args.include_pipeline else []
        return ["--scales", *scales, *repeats, *earlier]
    if name in ("ingestion", "transform", "sandbox_world"):
        return ["--scales", *scales]
    if name == "crm_sync":  # per-record REST is slow: the smallest scale is enough for the ratio
        return ["--scale", scales[0]]
    if name == "reliability":  # faults cost retries and timeouts, not rows: the smallest scale
        return ["--scale", scales[0]]
    if name == "model_quality":  # quality needs data: the largest scale
        return ["--scale", scales[-1]]
    if name == "attribution" and args.journeys:
        return ["--journeys", *map(str, args.journeys)]
    return []


def main() -> int:
    scripts = {p.stem: p for p in sorted(HERE.glob("*.py")) if not p.name.startswith("_")}
    scripts = {"pipeline": scripts.pop("pipeline"), **scripts}  # the headline figures first
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "medium"], choices=ORDER)
    parser.add_argument("--repeats", type=int, default=None, help="pipeline runs per scale")
    parser.add_argument("--journeys", type=int, nargs="+", default=None, help="attribution sizes")
    parser.add_argument(
        "--include-pipeline",
        type=Path,
        nargs="+",
        default=[],
        help="pipeline --json files of earlier runs whose other scales join the table",
    )
    parser.add_argument("--only", nargs="+", choices=list(scripts), default=list(scripts))
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    meta = machine(HERE.parent)
    meta["command"] = "python -m benchmarks " + shlex.join(sys.argv[1:])
    figures: dict[str, object] = {}
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="mdp-bench-") as tmp:
        for name in args.only:
            print(f"== {name}", flush=True)
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, str(scripts[name]), *script_args(name, args)]
            code = subprocess.run(
                command, env={**os.environ, ENV: str(out)}, check=False
            ).returncode
            if out.exists():
                figures[name] = json.loads(out.read_text())
            if code and not out.exists():
                failed[name] = f"exit code {code} (see its output above)"
    args.output.write_text(render(meta, figures, failed))
    print(f"results: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
