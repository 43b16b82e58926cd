"""Deterministic fault injection: which calls an emulator answers with a real-looking failure."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

#: Fault kinds every emulator understands; each maps them to its API's real error shapes.
RATE_LIMIT = "rate_limit"
SERVER_ERROR = "server_error"
TIMEOUT = "timeout"
EXPIRED_TOKEN = "expired_token"
TRANSPORT_FAULTS = (RATE_LIMIT, SERVER_ERROR, TIMEOUT, EXPIRED_TOKEN)


@dataclass(frozen=True)
class FaultConfig:
    """Share of calls to fault, which kinds, and the seed that makes the sequence repeatable.

    `rate` applies per call. Data faults (schema drift, duplicates, partial Bulk failures) are
    switched on by name in `data_faults` and handled by each emulator.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = TRANSPORT_FAULTS
    seed: int = 0
    slow_seconds: float = 3.0
    data_faults: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate}")
        unknown = set(self.kinds) - set(TRANSPORT_FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")


def _uniform(*parts: object) -> float:
    """A uniform number in [0, 1) from the hash of the parts (stable across runs and platforms)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class FaultInjector:
    """Decides, call by call, whether to fail and how; the n-th call of a service is always the
    same decision for the same seed, so a failing test replays exactly."""

    def __init__(self, config: FaultConfig, service: str) -> None:
        self.config = config
        self.service = service
        self._calls = 0
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def next_fault(self) -> str | None:
        """The fault for the next call, or None to answer normally."""
        if self.config.rate <= 0 or not self.config.kinds:
            return None
        with self._lock:
            self._calls += 1
            n = self._calls
        if _uniform(self.config.seed, self.service, n, "hit") >= self.config.rate:
            return None
        kinds = self.config.kinds
        kind = kinds[int(_uniform(self.config.seed, self.service, n, "kind") * len(kinds))]
        with self._lock:
            self.injected[kind] = self.injected.get(kind, 0) + 1
        return kind

    def draw(self, *parts: object) -> float:
        """A uniform number in [0, 1) fixed by seed, service and parts (for per-record faults)."""
        return _uniform(self.config.seed, self.service, *parts)

    def has(self, data_fault: str) -> bool:
        """Whether a named data fault (e.g. 'schema_drift') is switched on."""
        return data_fault in self.config.data_faults
