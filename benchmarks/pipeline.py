"""End-to-end pipeline cost: wall time and peak RSS per stage as users run them, per scale.

Every repeat starts from a fresh MDP_HOME (no cached world, warehouse, Airflow DB or MLflow
store) and runs each stage as its own `mdp` process, in order:

    setup      `mdp setup` (Airflow metadata DB, dbt manifest)
    generate   `mdp sandbox up --scale S` (world generation + GA4 export + emulators start)
    ingest     `mdp run --only ingest` over the world's year       (--via cli: `mdp ingest <src>`)
    transform  `mdp run --only transform`                          (`mdp transform`)
    train      `mdp run --only train`                              (`mdp train`)
    score      `mdp run --only score`                              (`mdp score`)
    sync       `mdp run --only activate` (CRM sync, alerts, report) (`mdp sync salesforce|hubspot`)

Peak RSS is sampled from /proc every 0.2 s: the stage's whole process tree summed ("tree"),
and that plus the sandbox's tree ("with sandbox", what the machine must hold). The largest
single process comes from os.wait4's ru_maxrss. The cost exponent b (time ~ size^b) between
consecutive scales uses the world's raw rows (every raw.* table after ingest) as the size.

    python benchmarks/pipeline.py                                  # small x3, medium x1
    python benchmarks/pipeline.py --scales tiny small --repeats 1
    python benchmarks/pipeline.py --scales large --repeats 1
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCALES = ("tiny", "small", "medium", "large")
STAGES = ("setup", "generate", "ingest", "transform", "train", "score", "sync")
#: Repeats when --repeats is not given: medium and large take minutes per run.
DEFAULT_REPEATS = {"tiny": 3, "small": 3, "medium": 1, "large": 1}
SAMPLE_S = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")
SOURCES = ("ga4", "facebook_ads", "google_ads", "salesforce")


# ---- pure figures ---------------------------------------------------------------------------


def summary(values: Iterable[float]) -> dict[str, float]:
    """Median, min, max and count of the repeats' values."""
    data = sorted(float(v) for v in values)
    if not data:
        raise ValueError("no values to summarise")
    return {"median": statistics.median(data), "min": data[0], "max": data[-1], "n": len(data)}


def cost_exponent(size_a: float, time_a: float, size_b: float, time_b: float) -> float:
    """b in time ~ size^b through two points (log-log slope)."""
    if min(size_a, time_a, size_b, time_b) <= 0 or size_a == size_b:
        raise ValueError("sizes and times must be positive and the sizes different")
    return math.log(time_b / time_a) / math.log(size_b / size_a)


def aggregate(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One scale's repeats (each {"size", "stages": {stage: {"s", "peak_mb", ...}}}) as
    median/min/max per stage and for the end-to-end total."""
    stages: dict[str, dict[str, dict[str, float]]] = {}
    for stage in runs[0]["stages"]:
        stages[stage] = {
            key: summary(run["stages"][stage][key] for run in runs)
            for key in ("s", "peak_mb", "system_mb", "maxrss_mb")
        }
    total = summary(sum(s["s"] for s in run["stages"].values()) for run in runs)
    system = summary(max(s["system_mb"] for s in run["stages"].values()) for run in runs)
    return {
        "repeats": len(runs),
        "size": runs[0]["size"],
        "users": runs[0].get("users"),
        "stages": stages,
        "total_s": total,
        "peak_system_mb": system,
    }


def exponents(by_scale: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost exponent of the end-to-end total and of every stage between consecutive scales."""
    names = [s for s in SCALES if s in by_scale]
    out = []
    for small, big in itertools.pairwise(names):
        a, b = by_scale[small], by_scale[big]
        per_stage = {
            stage: cost_exponent(
                a["size"],
                a["stages"][stage]["s"]["median"],
                b["size"],
                b["stages"][stage]["s"]["median"],
            )
            for stage in a["stages"]
        }
        total = cost_exponent(a["size"], a["total_s"]["median"], b["size"], b["total_s"]["median"])
        out.append({"from": small, "to": big, "total": total, "stages": per_stage})
    return out


# ---- measuring ------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _tree_rss(root: int, tree: dict[int, list[int]]) -> int:
    """Resident bytes of `root` and all its descendants (0 for vanished processes)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        stack.extend(tree.get(pid, ()))
    return total


def _sample_until_exit(pid: int, sandbox_pid: int | None) -> dict[str, int]:
    """Poll the RSS of `pid`'s tree (and with the sandbox's) until it exits; reap it with
    wait4, whose ru_maxrss is its largest process (itself or a reaped descendant), in KB."""
    peaks = {"tree": 0, "system": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree = _children()
            own = _tree_rss(pid, tree)
            sandbox = _tree_rss(sandbox_pid, tree) if sandbox_pid else 0
            peaks["tree"] = max(peaks["tree"], own)
            peaks["system"] = max(peaks["system"], own + sandbox)
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)
    done.set()
    sampler.join()
    return {**peaks, "status": status, "maxrss_kb": usage.ru_maxrss}


def measure(command: list[str], env: dict[str, str], sandbox_pid: int | None) -> dict[str, float]:
    """Run one command; its wall time, peak tree RSS, peak tree + sandbox RSS and ru_maxrss."""
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        peaks = _sample_until_exit(child.pid, sandbox_pid)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(peaks.pop("status"))
        child.returncode = code
        if code:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-3000:]
            raise RuntimeError(f"`{' '.join(command[2:])}` failed ({code}):\n{tail}")
    mb = 1024 * 1024
    return {
        "s": seconds,
        "peak_mb": peaks["tree"] / mb,
        "system_mb": peaks["system"] / mb,
        "maxrss_mb": peaks["maxrss_kb"] / 1024,
    }


def _commands(stage: str, scale: str, via: str, window: dict[str, str]) -> list[list[str]]:
    mdp = [sys.executable, "-m", "mdp.cli"]
    dates = ["--start", window.get("start", ""), "--end", window.get("end", "")]
    if stage == "setup":
        return [[*mdp, "setup"]]
    if stage == "generate":
        return [[*mdp, "sandbox", "up", "--scale", scale]]
    if via == "airflow":
        only = "activate" if stage == "sync" else stage
        return [[*mdp, "run", "--only", only, *dates]]
    if stage == "ingest":
        return [[*mdp, "ingest", source, *dates] for source in SOURCES]
    if stage == "sync":
        return [[*mdp, "sync", "salesforce"], [*mdp, "sync", "hubspot"]]
    return [[*mdp, stage]]


def _world(home: Path) -> tuple[dict[str, str], int | None, int | None]:
    """The running sandbox's window, pid and the world's simulated users."""
    state = json.loads((home / "sandbox" / "state.json").read_text())
    world = state["world"]
    users = None
    totals = Path(world["path"]) / "truth" / "totals.parquet"
    if totals.exists():
        import pyarrow.parquet as pq

        table = pq.read_table(totals).to_pylist()
        users = next((int(r["value"]) for r in table if r.get("metric") == "users"), None)
    return {"start": world["start"], "end": world["end"]}, int(state["pid"]), users


def raw_rows(warehouse: Path) -> int:
    """Rows in every raw.* table (the size the cost exponent is fitted against)."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
        counts = [con.execute(f'select count(*) from raw."{n}"').fetchone() for (n,) in names]
        return sum(int(c[0]) for c in counts if c)
    finally:
        con.close()


def run_once(scale: str, via: str, keep: bool = False) -> dict[str, Any]:
    """One fresh-home run of every stage; per stage figures plus the world's size."""
    home = Path(tempfile.mkdtemp(prefix=f"mdp-bench-pipeline-{scale}-"))
    env = {
        **os.environ,
        "MDP_HOME": str(home),
        "MDP_DUCKDB_PATH": str(home / "warehouse.duckdb"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(":"),
    }
    env.pop("MDP_MLFLOW_TRACKING_URI", None)
    stages: dict[str, dict[str, float]] = {}
    window: dict[str, str] = {}
    sandbox_pid = users = None
    size = 0
    try:
        for stage in STAGES:
            figures = [measure(c, env, sandbox_pid) for c in _commands(stage, scale, via, window)]
            stages[stage] = {
                "s": sum(f["s"] for f in figures),
                **{k: max(f[k] for f in figures) for k in ("peak_mb", "system_mb", "maxrss_mb")},
            }
            print(
                f"  {scale:<7}{stage:<10}{stages[stage]['s']:>8.1f}s  peak "
                f"{stages[stage]['peak_mb']:>7.0f} MB",
                flush=True,
            )
            if stage == "generate":
                window, sandbox_pid, users = _world(home)
            if stage == "ingest":
                size = raw_rows(home / "warehouse.duckdb")
    finally:
        subprocess.run(
            [sys.executable, "-m", "mdp.cli", "sandbox", "down"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
    return {"scale": scale, "size": size, "users": users, "stages": stages}


def run(scales: Sequence[str], repeats: int | None, via: str = "airflow") -> dict[str, Any]:
    """Every scale's repeats, aggregated, and the exponents between consecutive scales."""
    by_scale: dict[str, dict[str, Any]] = {}
    for scale in sorted(scales, key=SCALES.index):
        n = repeats or DEFAULT_REPEATS[scale]
        runs = []
        for i in range(n):
            print(f"pipeline {scale} run {i + 1}/{n} (via {via})", flush=True)
            runs.append(run_once(scale, via, keep=bool(os.environ.get("MDP_BENCH_KEEP_HOME"))))
        by_scale[scale] = aggregate(runs)
    return {"via": via, "scales": by_scale, "exponents": exponents(by_scale)}


def include(figures: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """Add the scales measured in earlier runs (not re-measured now), with the exponents
    recomputed across every scale."""
    scales = dict(figures["scales"])
    for path in paths:
        earlier = json.loads(path.read_text())
        if earlier["via"] != figures["via"]:
            raise SystemExit(f"{path} ran via {earlier['via']}, these figures via {figures['via']}")
        for scale, agg in earlier["scales"].items():
            scales.setdefault(scale, {**agg, "from": str(path)})
    ordered = {scale: scales[scale] for scale in sorted(scales, key=SCALES.index)}
    return {**figures, "scales": ordered, "exponents": exponents(ordered)}


def _fmt(s: dict[str, float], digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} [{s['min']:.{digits}f}-{s['max']:.{digits}f}]"


def print_report(figures: dict[str, Any]) -> None:
    """Median [min-max] per stage and scale, then the exponents."""
    for scale, agg in figures["scales"].items():
        print(f"\n{scale}: {agg['repeats']} run(s), {agg['size']:,} raw rows, users {agg['users']}")
        print(f"{'stage':<10}{'seconds':>22}{'peak RSS MB':>22}{'with sandbox MB':>22}")
        for stage, s in agg["stages"].items():
            print(
                f"{stage:<10}{_fmt(s['s']):>22}{_fmt(s['peak_mb'], 0):>22}"
                f"{_fmt(s['system_mb'], 0):>22}"
            )
        print(
            f"{'total':<10}{_fmt(agg['total_s']):>22}{'':>22}{_fmt(agg['peak_system_mb'], 0):>22}"
        )
    for e in figures["exponents"]:
        print(f"cost exponent {e['from']} -> {e['to']} (raw rows): end to end {e['total']:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["small", "medium"], choices=SCALES)
    parser.add_argument(
        "--repeats", type=int, default=None, help="runs per scale (default: 3 small, 1 medium)"
    )
    parser.add_argument("--via", choices=("airflow", "cli"), default="airflow")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--include",
        type=Path,
        nargs="+",
        default=[],
        help="--json files of earlier runs (same machine and code) whose other scales join "
        "these figures, e.g. a large run made on its own",
    )
    args = parser.parse_args()
    figures = include(run(args.scales, args.repeats, args.via), args.include)
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    from _figures import write_figures

    write_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
