"""Hand a benchmark's figures to `python -m benchmarks` (a JSON file named by MDP_BENCH_JSON)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV = "MDP_BENCH_JSON"


def write_figures(figures: dict[str, Any]) -> None:
    """Write the figures where MDP_BENCH_JSON says; nothing when it is unset (a plain CLI run)."""
    target = os.environ.get(ENV)
    if target:
        Path(target).write_text(json.dumps(figures, indent=2, default=str))
