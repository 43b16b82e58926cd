"""What every emulator provides to the sandbox runner: start on the world, describe, stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sandbox.emulators.faults import FaultConfig


@dataclass
class EmulatorInfo:
    """Where an emulator listens and the Airflow connection(s) that point a connector at it."""

    name: str
    endpoints: dict[str, str]
    #: connection id → Airflow connection as a JSON-able dict (conn_type, host, login, password,
    #: port, extra); the runner exports them as AIRFLOW_CONN_<ID>.
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)


class Emulator(Protocol):
    """An API emulator serving a world. `start` must return quickly (servers run in threads)."""

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo: ...

    def stop(self) -> None: ...
