"""Independent, named random streams so that one component's draws never shift another's."""

from __future__ import annotations

import zlib

import numpy as np

from sandbox.world.config import WorldConfig


def stream(config: WorldConfig, name: str) -> np.random.Generator:
    """A generator seeded by (config.seed, scale, name); stable across Python runs."""
    key = zlib.crc32(f"{config.scale}/{name}".encode())
    return np.random.default_rng(np.random.SeedSequence([config.seed, key]))


def stable_uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """Deterministic U[0, 1) per integer key (splitmix64), independent of any generator state."""
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
