"""Serve channelattribution's markov_model on one Parquet of paths (in the benchmark-only env).

.local/bench-env/bin/python benchmarks/_channelattribution_runner.py PATHS.parquet

Reads an order per stdin line, runs markov_model once on the loaded paths and answers one JSON
line (seconds of the markov_model call, credits, removal effects); staying up between runs lets
the caller interleave its own runs with these. The package's own prints go to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time

answers = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # the package prints a banner (and C++ output) on stdout: keep that off the pipe
sys.stdout = sys.stderr

import pandas as pd  # noqa: E402
from ChannelAttribution import markov_model  # noqa: E402


def run(data: pd.DataFrame, order: int) -> dict[str, object]:
    started = time.perf_counter()
    result = markov_model(
        data,
        "path",
        "conversions",
        var_value="value",
        var_null="nulls",
        order=order,
        sep=">",
        out_more=True,
        verbose=False,
        flg_pro=False,
        seed=0,
    )
    seconds = time.perf_counter() - started
    credits = result["result"].set_index("channel_name")["total_conversions"]
    effects = result["removal_effects"].set_index("channel_name")["removal_effects_conversion"]
    return {"seconds": seconds, "credits": credits.to_dict(), "effects": effects.to_dict()}


def main(source: str) -> None:
    data = pd.read_parquet(source)
    for line in sys.stdin:
        answers.write(json.dumps(run(data, int(line))) + "\n")
        answers.flush()


if __name__ == "__main__":
    main(sys.argv[1])
