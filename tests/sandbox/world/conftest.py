"""Worlds shared by the world tests (generated once per session)."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.world import World, WorldConfig, generate

SHORT = WorldConfig(scale="tiny", start=date(2025, 3, 1), end=date(2025, 4, 30))


@pytest.fixture(scope="session")
def tiny_world() -> World:
    return generate(WorldConfig(scale="tiny"))


@pytest.fixture(scope="session")
def small_world() -> World:
    """~40k users: enough leads and customer-months for statistical checks (~3 s)."""
    return generate(WorldConfig(scale="small"))


@pytest.fixture(scope="session")
def short_world() -> World:
    """Two months of a tiny world: cheap to export to GA4 files day by day."""
    return generate(SHORT)
