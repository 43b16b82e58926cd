"""A seeded, simulated B2B SaaS marketing and sales world with known ground truth."""

from sandbox.world.config import SCALES, WorldConfig
from sandbox.world.errors import (
    UnknownTableError,
    WorldConfigError,
    WorldError,
    WorldIntegrityError,
)
from sandbox.world.ga4_export import write_ga4_export
from sandbox.world.ga4_flatten import read_ga4_export
from sandbox.world.generator import generate
from sandbox.world.restatement import platform_view
from sandbox.world.world import World

__all__ = [
    "SCALES",
    "UnknownTableError",
    "World",
    "WorldConfig",
    "WorldConfigError",
    "WorldError",
    "WorldIntegrityError",
    "generate",
    "platform_view",
    "read_ga4_export",
    "write_ga4_export",
]
