"""Test session set-up: all mdp and Airflow state goes to a temporary home, never .local/."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before anything imports airflow or mdp settings: a throw-away home for this test session.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="mdp-test-"))
os.environ["MDP_HOME"] = str(_SESSION_HOME)
os.environ.pop("MDP_WAREHOUSE", None)
os.environ.pop("MDP_DUCKDB_PATH", None)


def _configure_airflow() -> None:
    """Airflow reads its configuration once, at first import: point it at the test home now."""
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import load_settings

    apply_airflow_env(load_settings())


_configure_airflow()


@pytest.fixture(scope="session")
def session_home() -> Path:
    """MDP_HOME for the whole test session (Airflow's metadata DB lives here)."""
    return _SESSION_HOME


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Settings with a per-test DuckDB file."""
    from mdp.settings import get_settings

    monkeypatch.setenv("MDP_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def tiny_world() -> object:
    """The tiny simulated world (seed 42), generated once per test session."""
    from sandbox.world import WorldConfig, generate

    return generate(WorldConfig(scale="tiny", seed=42))


@pytest.fixture(scope="session")
def built_warehouse(tiny_world: object, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DuckDB file after ingesting the tiny world and `dbt build` (every test passing),
    built once per session for the dbt and ML tests. Treat it as read-only (copy to write)."""
    from tests.fixtures.warehouse import build_warehouse

    return build_warehouse(tiny_world, tmp_path_factory.mktemp("dbt-build"))
