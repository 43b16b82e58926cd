"""Markov attribution: ours (exact sparse solves) vs channelattribution (simulation), throughput.

channelattribution runs in the benchmark-only env .local/bench-env (Makefile step from
benchmarks/requirements-attribution.txt; MDP_BENCH_ATTRIBUTION_PYTHON overrides its python);
without it only our throughput is measured.

    python benchmarks/attribution.py                     # 1e5 and 1e6 journeys
    python benchmarks/attribution.py --journeys 100000   # choose sizes
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.attribution import paths  # noqa: E402

CHANNELS = ("search", "social", "display", "email", "direct", "referral", "video", "affiliate")
#: log-odds each touch of a channel adds to converting: a known order for the credits
LIFT = np.array([0.9, 0.5, 0.2, 0.7, 0.6, 0.3, 0.1, 0.4])


def synthetic_journeys(n: int, seed: int = 0) -> pd.DataFrame:
    """One row per journey: its path string and whether it converted (and its value)."""
    rng = np.random.default_rng(seed)
    lengths = rng.geometric(0.35, size=n).clip(max=12)
    codes = rng.choice(len(CHANNELS), size=lengths.sum(), p=np.full(8, 1 / 8))
    journey = np.repeat(np.arange(n), lengths)
    logit = -4.0 + np.bincount(journey, weights=LIFT[codes], minlength=n)
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    names = pd.Series(np.array(CHANNELS)[codes])
    path = names.groupby(journey).agg(">".join)
    return pd.DataFrame(
        {
            "path": path.to_numpy(),
            "conversions": converted.astype(float),
            "nulls": (~converted).astype(float),
            "value": np.where(converted, rng.gamma(2.0, 50.0, size=n), 0.0),
        }
    )


def aggregated(journeys: pd.DataFrame) -> pd.DataFrame:
    return journeys.groupby("path", as_index=False)[["conversions", "nulls", "value"]].sum()


def ours(frame: pd.DataFrame, order: int) -> tuple[float, pd.Series, pd.Series]:
    started = time.perf_counter()
    result = paths(
        frame["path"],
        frame["conversions"],
        frame["nulls"],
        frame["value"],
        order=order,
        sep=">",
        models=("markov",),
    )
    seconds = time.perf_counter() - started
    return seconds, result.table["markov_conversions"], result.removal_effects


def channelattribution(frame: pd.DataFrame, order: int) -> dict[str, object] | None:
    python = Path(
        os.environ.get("MDP_BENCH_ATTRIBUTION_PYTHON", ROOT / ".local/bench-env/bin/python")
    )
    if not python.exists():
        print(f"  channelattribution env missing ({python}): run the bench-env step; skipped")
        return None
    with tempfile.TemporaryDirectory(prefix="mdp-bench-attr-") as tmp:
        source, out = Path(tmp) / "paths.parquet", Path(tmp) / "out.json"
        frame.to_parquet(source, index=False)
        runner = Path(__file__).parent / "_channelattribution_runner.py"
        done = subprocess.run(
            [str(python), str(runner), str(source), str(order), str(out)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"channelattribution failed:\n{done.stderr[-3000:]}")
        reference: dict[str, object] = json.loads(out.read_text())
        return reference


def compare(n: int, order: int) -> None:
    journeys = synthetic_journeys(n)
    frame = aggregated(journeys)
    raw_seconds, _, _ = ours(journeys, order)
    seconds, credits, effects = ours(frame, order)
    print(
        f"  {n:>9,} journeys, {len(frame):,} unique paths, order {order}: ours "
        f"{raw_seconds:.2f}s from journeys ({n / raw_seconds:,.0f} journeys/s), "
        f"{seconds:.3f}s from unique paths ({len(frame) / seconds:,.0f} paths/s)"
    )
    reference = channelattribution(frame, order)
    if reference is None:
        return
    theirs = pd.Series(reference["credits"], dtype=float).reindex(credits.index)
    share_gap = (credits / credits.sum() - theirs / theirs.sum()).abs().max()
    their_effects = pd.Series(reference["effects"], dtype=float).reindex(effects.index)
    effect_gap = (effects / effects.sum() - their_effects / their_effects.sum()).abs().max()
    ca_seconds = float(reference["seconds"])  # type: ignore[arg-type]
    print(
        f"  channelattribution {ca_seconds:.2f}s: ours is {ca_seconds / seconds:,.0f}x faster; "
        f"max |credit share difference| {share_gap:.4f}, normalised removal effects "
        f"{effect_gap:.4f} (theirs is simulated)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for n in args.journeys:
        for order in args.orders:
            compare(n, order)


if __name__ == "__main__":
    main()
