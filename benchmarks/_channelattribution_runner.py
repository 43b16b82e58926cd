"""Run channelattribution's markov_model on a Parquet of paths (in the benchmark-only env).

.local/bench-env/bin/python benchmarks/_channelattribution_runner.py PATHS.parquet ORDER OUT.json
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from ChannelAttribution import markov_model


def main(source: str, order: int, out: str) -> None:
    data = pd.read_parquet(source)
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
    with open(out, "w") as handle:
        json.dump(
            {"seconds": seconds, "credits": credits.to_dict(), "effects": effects.to_dict()},
            handle,
        )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
