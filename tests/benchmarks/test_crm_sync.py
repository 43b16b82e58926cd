"""The CRM benchmark's break-even round trip: from which latency Bulk reaches the goal."""

from __future__ import annotations

import pytest

from benchmarks.crm_sync import GOAL, _break_even


def _run(t_bulk: float, calls_bulk: int, t_rest: float, calls_rest: int) -> dict:
    return {
        "bulk": {"records": 100, "s": t_bulk, "calls": calls_bulk},
        "rest": {"records": 100, "s": t_rest, "calls": calls_rest},
    }


def test_break_even_is_the_round_trip_where_the_ratio_reaches_the_goal() -> None:
    run = _run(1.0, 2, 10.0, 100)
    latency = _break_even(run)
    assert latency == pytest.approx(1 / 6)
    bulk = 100 / (1.0 + 2 * latency)
    rest = 100 / (10.0 + 100 * latency)
    assert bulk / rest == pytest.approx(GOAL)


def test_no_break_even_when_the_goal_is_met_without_latency_or_never() -> None:
    assert _break_even(_run(0.1, 2, 10.0, 100)) == 0.0  # 100x already
    # 10 calls against 100: the ratio tends to 10x however slow the network
    assert _break_even(_run(1.0, 10, 10.0, 100)) is None
