"""Reliability under API faults: per fault rate, the rows each connector lost, duplicated or
changed in its raw tables against the simulated world's truth, with the faults injected, the
retries logged and the wall time.

Each (rate, source) runs in its own process: a generated world (small by default), its
emulator answering `rate` of the API calls with a transport fault (rate limit, server error,
timeout, expired token; FaultConfig seeded by --seed), and a full-year `ingest` as the DAG task
runs it into a fresh DuckDB. A run that raises is reported with its one-line error and run once
more, as a scheduled retry of the task would; the table then shows the figures after each run.
Definitions: benchmarks/reliability_sources/compare.py. Goal: 0 lost and 0 duplicated.

    python benchmarks/reliability.py                              # small world, 10 % and 30 %
    python benchmarks/reliability.py --scale tiny --rates 0.1 --sources google_ads salesforce
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._figures import ENV, write_figures
from benchmarks._results import first_losses, machine, refresh_section
from benchmarks.reliability_sources import SOURCES, Tuning, start
from benchmarks.reliability_sources.compare import Truth, compare

RATES = (0.1, 0.3)
RESULTS = Path(__file__).parent / "RESULTS.md"
MAX_ERROR_CHARS = 300


class RetryCounter(logging.Handler):
    """Counts the retries the connectors log ("...; retrying in 0.1s")."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying in" in record.getMessage():
            self.count += 1


@contextlib.contextmanager
def exported(env: dict[str, str]) -> Iterator[None]:
    """The connection variables set for the runs, restored afterwards."""
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def one_line(error: BaseException) -> str:
    """The error as one line: its type, then its message with the line breaks folded."""
    text = f"{type(error).__name__}: {' '.join(str(error).split())}"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _since(before: dict[str, int], now: dict[str, int]) -> dict[str, int]:
    """Faults injected between two readings of the emulator's counters, by kind."""
    return {kind: n - before.get(kind, 0) for kind, n in now.items() if n > before.get(kind, 0)}


def run_source(
    source: str, world: Any, database: Path, home: Path, faults: Any, tuning: Tuning
) -> list[dict[str, Any]]:
    """Run `source` once against its faulty emulator (twice when the first run raises) into
    the warehouse the settings name (`database`); each run's figures against the truth."""
    import airflow.sdk  # noqa: F401  Airflow configures logging on import: before the counter

    running = start(source, world, faults, home, tuning)
    counter = RetryCounter()
    retry_log = logging.getLogger("ingestion.common.retry")
    retry_log.addHandler(counter)
    runs: list[dict[str, Any]] = []
    try:
        truths = running.truths()
        with exported(running.env):
            for attempt in (1, 2):
                runs.append(_run(running, truths, database, counter, attempt))
                if runs[-1]["error"] is None:
                    break
    finally:
        retry_log.removeHandler(counter)
        running.stop()
    return runs


def _run(
    running: Any, truths: list[Truth], database: Path, counter: RetryCounter, attempt: int
) -> dict[str, Any]:
    faults_before, retries_before = dict(running.injected()), counter.count
    error = None
    started = time.perf_counter()
    try:
        running.ingest("reliability")  # a retry of the task keeps its run id
    except Exception as failure:  # noqa: BLE001  every failure is a figure, none stops the bench
        error = one_line(failure)
    seconds = time.perf_counter() - started
    return {
        "run": attempt,
        "error": error,
        "seconds": round(seconds, 1),
        "faults": _since(faults_before, running.injected()),
        "retries": counter.count - retries_before,
        "tables": [compare(database, truth) for truth in truths],
    }


def measure(source: str, scale: str, seed: int, rate: float, tuning: Tuning) -> dict[str, Any]:
    """In a child process: a fresh home and warehouse, the world, the runs."""
    started = time.perf_counter()
    home = Path(tempfile.mkdtemp(prefix=f"mdp-bench-reliability-{source}-"))
    os.environ["MDP_HOME"] = str(home)
    os.environ["MDP_DUCKDB_PATH"] = str(home / "warehouse.duckdb")
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import load_settings

    apply_airflow_env(load_settings())
    from ingestion.common.quality import shared_gate
    from sandbox.emulators.faults import TRANSPORT_FAULTS, FaultConfig
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=seed))
    faults = FaultConfig(
        rate=rate, kinds=TRANSPORT_FAULTS, seed=seed, slow_seconds=tuning.slow_seconds
    )
    shared_gate(False)  # GE's start-up is paid before the clock, once per process
    try:
        runs = run_source(source, world, home / "warehouse.duckdb", home, faults, tuning)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {
        "source": source,
        "rate": rate,
        "runs": runs,
        "total_s": round(time.perf_counter() - started, 1),
    }


def run_child(source: str, scale: str, seed: int, rate: float, timeout: float) -> dict[str, Any]:
    """`measure` in a fresh process; a child that dies is a result too, with its last words."""
    command = [sys.executable, __file__, "--one", source, "--rate", str(rate), "--scale", scale]
    command += ["--seed", str(seed), "--timeout", str(timeout)]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = child.stdout.strip().splitlines()
    if child.returncode or not lines:
        said = _last_error(child.stderr)
        error = f"the benchmark's process exited {child.returncode}: {said}"
        return {"source": source, "rate": rate, "runs": [], "error": error[:MAX_ERROR_CHARS]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _last_error(stderr: str) -> str:
    """The traceback's last exception line (what a person reads first), else the last line."""
    lines = stderr.strip().splitlines() or ["no output"]
    raised = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    return (raised or lines)[-1]


HEADER = (
    f"{'rate':>5}  {'source':<13}{'run':>3}  {'result':<7}{'faults':>7}{'retries':>8}"
    f"{'seconds':>8}  {'raw table':<35}{'truth':>9}{'raw':>9}{'lost':>7}{'dup':>6}"
    f"{'changed':>8}{'extra':>7}"
)


def lines_of(result: dict[str, Any]) -> list[str]:
    """The printed rows of one (rate, source): one per raw table and run."""
    rate, source = f"{result['rate']:.0%}", result["source"]
    if not result["runs"]:
        return [f"{rate:>5}  {source:<13}{'':>3}  {'FAILED':<7}  {result['error']}"]
    out = []
    for run in result["runs"]:
        status = "ok" if run["error"] is None else "raised"
        head = (
            f"{rate:>5}  {source:<13}{run['run']:>3}  {status:<7}{sum(run['faults'].values()):>7}"
            f"{run['retries']:>8}{run['seconds']:>8}"
        )
        for table in run["tables"]:
            out.append(
                f"{head}  {table['table']:<35}{table['truth_rows']:>9,}{table['raw_rows']:>9,}"
                f"{table['lost']:>7,}{table['duplicated']:>6,}{table['changed']:>8,}"
                f"{table['extra']:>7,}"
            )
            head = " " * len(head)
    return out


def notes_of(results: list[dict[str, Any]]) -> list[str]:
    """One line per run that raised (and per benchmark process that died)."""
    out = []
    for result in results:
        where = f"{result['source']} at {result['rate']:.0%}"
        if not result["runs"]:
            out.append(f"{where}: {result['error']}")
        for run in result["runs"]:
            if run["error"] is not None:
                out.append(f"{where}, run {run['run']}: {run['error']}")
    return out


def print_summary(figures: dict[str, Any]) -> None:
    """The goal per fault rate (the first runs), then each run that raised."""
    print()
    for rate in sorted({r["rate"] for r in figures["results"]}):
        lost, duplicated = first_losses(figures, rate)
        verdict = "PASS" if lost == duplicated == 0 else "FAIL"
        counts = f"{lost:,} lost, {duplicated:,} duplicated"
        print(f"{rate:.0%} faulty calls, first runs: {counts} (goal 0 and 0): {verdict}")
    notes = notes_of(figures["results"])
    if notes:
        print("\nRuns that raised:\n" + "\n".join(f"- {note}" for note in notes))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES))
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=list(SOURCES))
    parser.add_argument("--seed", type=int, default=42, help="the world's and the faults' seed")
    parser.add_argument(
        "--timeout", type=float, default=Tuning.timeout_seconds, help="client timeout, seconds"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--no-results", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args()
    tuning = Tuning(timeout_seconds=args.timeout)
    if args.one:
        print(json.dumps(measure(args.one, args.scale, args.seed, args.rate, tuning)), flush=True)
        return 0
    meta = machine(Path(__file__).parents[1])
    meta["command"] = shlex.join(["python", "benchmarks/reliability.py", *sys.argv[1:]])
    started = time.perf_counter()
    print(
        f"Reliability: full-year sync of the {args.scale} world (seed {args.seed}), transport "
        f"faults on a share of API calls, client timeout {args.timeout:g} s\n{HEADER}",
        flush=True,
    )
    results = []
    for rate in args.rates:
        for source in args.sources:
            results.append(run_child(source, args.scale, args.seed, rate, args.timeout))
            print("\n".join(lines_of(results[-1])), flush=True)
    figures = {
        "scale": args.scale,
        "seed": args.seed,
        "timeout_s": args.timeout,
        "results": results,
    }
    print_summary(figures)
    wall = round(time.perf_counter() - started, 1)
    print(f"\nwall time: {wall} s")
    figures.update(wall_s=wall, meta=meta)
    write_figures(figures)
    if not os.environ.get(ENV) and not args.no_results:  # under `python -m benchmarks` it renders
        refresh_section(RESULTS, "reliability", figures)
        print(f"results: {RESULTS} (section refreshed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
