"""Markov attribution: ours (exact solves) vs channelattribution (simulation), and throughput.

Both get the same unique paths (one Parquet: path string, conversions, nulls, value) and their
runs alternate within one process pair, so a busy machine slows both alike; the figures are
medians. Ours is timed from the path strings to the removal effects and credits (`paths()`),
theirs is its `markov_model` call. Ours is checked against an independent dense solve (pandas
string states, numpy) and compared with theirs. Throughput: training from one row per journey,
scoring (touchpoint credits) of the converted journeys.

channelattribution runs in the benchmark-only env .local/bench-env (Makefile step from
benchmarks/requirements-attribution.txt; MDP_BENCH_ATTRIBUTION_PYTHON overrides its python);
without it only our figures are printed.

    python benchmarks/attribution.py                          # 1e5 and 1e6 journeys, orders 1-3
    python benchmarks/attribution.py --journeys 100000 --orders 1 --repeats 9
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import IO, Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ml.attribution import AttributionResult, paths  # noqa: E402
from ml.attribution.score import credits_from_effects  # noqa: E402

CHANNELS = ("search", "social", "display", "email", "direct", "referral", "video", "affiliate")
#: log-odds each touch of a channel adds to converting: a known order for the credits
LIFT = np.array([0.9, 0.5, 0.2, 0.7, 0.6, 0.3, 0.1, 0.4])
SEP = ">"  # channelattribution's default separator


def synthetic_journeys(n: int, seed: int = 0) -> pd.DataFrame:
    """One row per journey: its path string and whether it converted (and its value)."""
    rng = np.random.default_rng(seed)
    lengths = rng.geometric(0.35, size=n).clip(max=12)
    codes = rng.choice(len(CHANNELS), size=lengths.sum(), p=np.full(8, 1 / 8))
    journey = np.repeat(np.arange(n), lengths)
    logit = -4.0 + np.bincount(journey, weights=LIFT[codes], minlength=n)
    converted = rng.random(n) < 1 / (1 + np.exp(-logit))
    names = pd.Series(np.array(CHANNELS)[codes])
    path = names.groupby(journey).agg(SEP.join)
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


def touchpoints(journeys: pd.DataFrame) -> pd.DataFrame:
    """The touchpoints of the converted journeys, in fct_conversion_paths' columns."""
    converted = journeys.loc[journeys["conversions"] > 0].reset_index(drop=True)
    channel = converted["path"].str.split(SEP).explode()
    conversion = channel.index.to_numpy()
    number = channel.groupby(level=0).cumcount().to_numpy() + 1
    count = np.bincount(conversion)[conversion]
    ids = pd.Series(conversion).astype(str).radd("c").to_numpy()
    return pd.DataFrame(
        {
            "touchpoint_key": ids + "-" + number.astype(str),
            "conversion_id": ids,
            "conversion_type": "purchase",
            "conversion_date": pd.Timestamp("2025-06-01"),
            "touchpoint_number": number,
            "touch_count": count,
            "session_key": ids + "-" + number.astype(str),
            "channel": channel.to_numpy(),
            "source": channel.to_numpy(),
            "medium": "cpc",
            "campaign": "benchmark",
            "revenue": converted["value"].to_numpy()[conversion],
        }
    )


def ours(frame: pd.DataFrame, order: int) -> tuple[float, AttributionResult]:
    started = time.perf_counter()
    result = paths(
        frame["path"],
        frame["conversions"],
        frame["nulls"],
        frame["value"],
        order=order,
        sep=SEP,
        models=("markov",),
    )
    return time.perf_counter() - started, result


def dense_reference(frame: pd.DataFrame, order: int) -> pd.Series:
    """Removal effects by another route: pandas string states, dense numpy solves."""
    touch = frame["path"].str.split(SEP).explode().str.strip().rename("channel").reset_index()
    journey = touch.groupby("index")
    state = touch["channel"]
    for lag in range(1, order):
        before = journey["channel"].shift(lag)
        state = (before + "|").where(before.notna(), "") + state
    touch["state"] = state
    touch["came_from"] = touch.groupby("index")["state"].shift(1).fillna("(start)")
    touch["weight"] = (frame["conversions"] + frame["nulls"]).to_numpy()[touch["index"]]
    last = touch.groupby("index")["state"].last()
    names = ["(start)", *sorted(touch["state"].unique()), "(conversion)", "(null)"]
    at = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)))
    moves = touch.groupby(["came_from", "state"])["weight"].sum()
    for (a, b), w in moves.items():
        counts[at[a], at[b]] += w
    ends = pd.DataFrame({"state": last, "c": frame["conversions"], "n": frame["nulls"]})
    for name, row in ends.groupby("state")[["c", "n"]].sum().iterrows():
        counts[at[name], -2:] += row.to_numpy()
    s = len(names) - 2
    probability = counts[:s] / counts[:s].sum(axis=1, keepdims=True)

    def p_conversion(keep: np.ndarray) -> float:
        q = probability[np.ix_(keep, keep)]
        return float(np.linalg.solve(np.eye(len(q)) - q, probability[keep, s])[0])

    full = p_conversion(np.arange(s))
    channels = sorted(touch["channel"].unique())
    effects = {}
    for channel in channels:
        keep = [i for i, name in enumerate(names[:s]) if channel not in name.split("|")]
        effects[channel] = 1.0 - p_conversion(np.array(keep)) / full
    return pd.Series(effects)


class ChannelAttribution:
    """channelattribution's markov_model in its own env, up between runs (see the runner)."""

    def __init__(self, python: Path, source: Path, log: IO[str]) -> None:
        runner = Path(__file__).parent / "_channelattribution_runner.py"
        self.log = log
        self.process = subprocess.Popen(
            [str(python), str(runner), str(source)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def run(self, order: int) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{order}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            self.log.seek(0)
            raise RuntimeError(f"channelattribution failed:\n{self.log.read()[-3000:]}")
        reply: dict[str, Any] = json.loads(answer)
        return reply

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _shares(values: pd.Series | dict[str, float], index: pd.Index) -> pd.Series:
    series = pd.Series(values, dtype=float).reindex(index)
    return series / series.sum()


def _timed(run: Callable[[], object], repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return median(seconds)


def compare(
    frame: pd.DataFrame, order: int, repeats: int, reference: ChannelAttribution | None
) -> dict[str, Any]:
    """Interleaved runs of ours and theirs on the same paths, then their agreement (the
    figures `python -m benchmarks` puts in RESULTS.md)."""
    ours(frame, order)  # warm-up, as theirs below: first calls pay for imports and caches
    theirs = reference.run(order) if reference else None
    mine, their_seconds = [], []
    for _ in range(repeats):
        seconds, result = ours(frame, order)
        mine.append(seconds)
        if reference:
            theirs = reference.run(order)
            their_seconds.append(theirs["seconds"])
    ours_s = median(mine)
    credits, effects = result.table["markov_conversions"], result.removal_effects
    exact_gap = (effects - dense_reference(frame, order).reindex(effects.index)).abs().max()
    print(
        f"  order {order}: ours {ours_s * 1e3:7.1f} ms ({len(frame) / ours_s:,.0f} paths/s); "
        f"max |removal effect - independent dense solve| {exact_gap:.0e}"
    )
    figures: dict[str, Any] = {"paths": len(frame), "order": order, "ours_paths_s": ours_s}
    if theirs is None:
        return figures
    theirs_s = median(their_seconds)
    credit_gap = (_shares(credits, credits.index) - _shares(theirs["credits"], credits.index)).abs()
    effect_gap = (_shares(effects, effects.index) - _shares(theirs["effects"], effects.index)).abs()
    print(
        f"           channelattribution {theirs_s * 1e3:7.1f} ms: ours is "
        f"{theirs_s / ours_s:.1f}x faster; theirs vs ours, max |difference| of normalised "
        f"credits {credit_gap.max():.4f}, of normalised removal effects {effect_gap.max():.4f}"
    )
    return {
        **figures,
        "theirs_s": theirs_s,
        "speedup": theirs_s / ours_s,
        "share_gap": float(credit_gap.max()),
    }


def throughput(journeys: pd.DataFrame, order: int, repeats: int) -> None:
    """Training from one row per journey (duplicates aggregated inside) and scoring."""
    train = _timed(lambda: ours(journeys, order), repeats)
    _, result = ours(journeys, order)
    points = touchpoints(journeys)
    effects = {"purchase": result.removal_effects}
    score = _timed(lambda: credits_from_effects(points, effects, models=("markov",)), repeats)
    n_conversions = points["conversion_id"].nunique()
    print(
        f"  throughput, order {order}: training {train:.3f} s from {len(journeys):,} journey rows "
        f"({len(journeys) / train:,.0f} journeys/s); scoring {score:.3f} s for "
        f"{len(points):,} touchpoints of {n_conversions:,} conversions "
        f"({n_conversions / score:,.0f} conversions/s, {len(points) / score:,.0f} touchpoints/s)"
    )


def run_size(n: int, orders: list[int], repeats: int, python: Path) -> list[dict[str, Any]]:
    journeys = synthetic_journeys(n)
    with (
        tempfile.TemporaryDirectory(prefix="mdp-bench-attr-") as tmp,
        open(Path(tmp) / "channelattribution.log", "w+") as log,
    ):
        source = Path(tmp) / "paths.parquet"
        aggregated(journeys).to_parquet(source, index=False)
        frame = pd.read_parquet(source)  # exactly what the reference reads
        print(
            f"{n:,} journeys -> {len(frame):,} unique paths, "
            f"{frame['path'].str.count(SEP).sum() + len(frame):,} touches; "
            f"median of {repeats} interleaved runs each"
        )
        reference = None
        if python.exists():
            reference = ChannelAttribution(python, source, log)
        else:
            print(f"  channelattribution env missing ({python}): run `make bench-env`; skipped")
        try:
            runs = [
                {"journeys": n, **compare(frame, order, repeats, reference)} for order in orders
            ]
        finally:
            if reference:
                reference.close()
    throughput(journeys, orders[0], repeats)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journeys", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    python = Path(
        os.environ.get("MDP_BENCH_ATTRIBUTION_PYTHON", ROOT / ".local/bench-env/bin/python")
    )
    print(
        "ours: paths() from the path strings to removal effects and credits (exact absorbing "
        "chain); channelattribution: its markov_model(out_more=True) call (defaults: ncore=1, "
        "simulated until its credits vary < 5 %); both single-threaded, same unique paths"
    )
    runs = [run for n in args.journeys for run in run_size(n, args.orders, args.repeats, python)]
    from _figures import write_figures

    write_figures({"runs": runs})


if __name__ == "__main__":
    main()
