"""The reliability benchmark's sources: each starts its emulator on a world with faults, runs
the connector as its DAG task does, and gives the world's truth for each raw table it fills."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.reliability_sources.compare import Truth

#: Benchmark source → module of this package (the GA4 report and export run separately: the
#: export is files, never an API call, so it is the control row with no fault to survive).
SOURCES = {
    "ga4_report": "ga4",
    "ga4_export": "ga4",
    "facebook_ads": "facebook_ads",
    "google_ads": "google_ads",
    "salesforce": "salesforce",
}


@dataclass(frozen=True)
class Tuning:
    """A run's client timeout and retry waits.

    The emulators answer a `timeout` fault after `timeout_seconds + 0.5`, so the client really
    times out. Waits are cut short: the emulators fault per call, not per second, so a wait
    changes the wall time, never the outcome. Retry attempts stay each connector's default.
    """

    timeout_seconds: float = 5.0
    retry_base_seconds: float = 0.05
    retry_max_wait_seconds: float = 0.2

    @property
    def slow_seconds(self) -> float:
        return self.timeout_seconds + 0.5


@dataclass
class Running:
    """A started emulator and the connector pointed at it."""

    #: AIRFLOW_CONN_* variables the connector reads its connection from.
    env: dict[str, str]
    #: One run as the DAG task runs it (the run id); raises what the task would raise.
    ingest: Callable[[str], Any]
    #: Faults the emulator injected so far, by kind.
    injected: Callable[[], dict[str, int]]
    #: The world's truth for each raw table the connector fills.
    truths: Callable[[], list[Truth]]
    stop: Callable[[], None]


def start(source: str, world: Any, faults: Any, home: Path, tuning: Tuning) -> Running:
    """Start `source` (a key of SOURCES) on `world` with `faults` (a FaultConfig)."""
    module = importlib.import_module(f"benchmarks.reliability_sources.{SOURCES[source]}")
    starter: Callable[..., Running] = getattr(module, f"start_{source}", None) or module.start
    return starter(world, faults, home, tuning)
