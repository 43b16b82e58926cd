"""The experiment results as a rich table for the terminal."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
from rich.table import Table
from rich.text import Text

from activation.experiments.stats import METHOD

#: Verdict colours shared with the report.
COLOURS = {
    "control": "dim",
    "winner": "bold green",
    "loser": "bold red",
    "inconclusive": "yellow",
    "invalid": "bold magenta",
    "not_measurable": "dim",
}


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, spec)


def _interval(low: Any, high: Any, spec: str) -> str:
    if low is None or high is None:
        return "-"
    return f"[{_fmt(low, spec)}, {_fmt(high, spec)}]"


def results_table(results: pa.Table, primary_only: bool = True) -> Table:
    """One line per experiment, variant and (primary) conversion event, with the verdict."""
    rows = results.to_pylist()
    if primary_only:
        rows = [r for r in rows if r["is_primary"]]
    alpha = rows[0]["alpha"] if rows else None
    table = Table(
        "experiment",
        "variant",
        "event",
        "users",
        "conv. rate",
        "abs. lift [CI]",
        "rel. lift [CI]",
        "p",
        "SRM p",
        "verdict",
        title="Experiment results (activation.experiment_results)",
        caption=f"{METHOD}. Alpha per comparison {_fmt(alpha, '.3g')} (Bonferroni over "
        "treatments).",
    )
    for r in rows:
        table.add_row(
            r["experiment_id"],
            r["variant_id"],
            r["conversion_event"],
            f"{r['exposed_users']:,}",
            _fmt(r["conversion_rate"], ".2%"),
            # Text, not markup: the intervals' brackets are data
            Text(
                f"{_fmt(r['absolute_lift'], '+.2%')} "
                f"{_interval(r['absolute_lift_ci_lower'], r['absolute_lift_ci_upper'], '+.2%')}"
            ),
            Text(
                f"{_fmt(r['relative_lift'], '+.1%')} "
                f"{_interval(r['relative_lift_ci_lower'], r['relative_lift_ci_upper'], '+.1%')}"
            ),
            _fmt(r["p_value"], ".2g"),
            _fmt(r["srm_p_value"], ".2g"),
            Text(r["verdict"], style=COLOURS[r["verdict_kind"]]),
        )
    return table
