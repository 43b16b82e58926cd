"""Meta Ads emulator on the tiny world, and helpers to run the connector into a fresh DuckDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Airflow sets up logging when first imported (replacing the root handlers): import it now,
# before pytest's caplog attaches to a test, so log assertions do not depend on test order.
import airflow.sdk  # noqa: F401
import pytest

from sandbox.emulators.facebook_ads.emulator import FacebookAdsEmulator
from sandbox.emulators.faults import FaultConfig

#: Fast knobs for tests: short polls, retry waits capped (Meta's regain estimate is minutes),
#: a client timeout just under the emulator's slow answers so timeouts really fire, and 5-day
#: async jobs so a 10-day backfill exercises several.
TEST_EXTRA = {
    "async_chunk_days": 5,
    "load_window_days": 1,  # per-day windows: the quarantine test isolates one bad day
    "async_poll_seconds": 0.01,
    "max_retry_wait_seconds": 0.05,
    "request_timeout_seconds": 1.0,
}
SLOW_SECONDS = 1.3


@pytest.fixture(scope="module")
def emulator(tiny_world: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    emu = FacebookAdsEmulator()
    info = emu.start(tiny_world, FaultConfig(), tmp_path_factory.mktemp("meta"))
    conn = info.connections["mdp_facebook_ads"]
    conn["extra"].update(TEST_EXTRA)
    emu.connection_json = json.dumps(conn)  # type: ignore[attr-defined]
    yield emu
    emu.stop()


@pytest.fixture
def meta_env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The connection exported like Airflow does, and the emulator clock restored afterwards."""
    monkeypatch.setenv("AIRFLOW_CONN_MDP_FACEBOOK_ADS", emulator.connection_json)
    today = emulator.app.today
    yield emulator
    emulator.app.today = today
    emulator.app.set_faults(FaultConfig())
