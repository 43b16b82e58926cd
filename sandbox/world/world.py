"""The World: every source table, every truth table and the config that produced them."""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike

import pyarrow as pa

from sandbox.world.config import WorldConfig


@dataclass
class World:
    """A generated world. `tables` is what the sources hold; `truth` is never read by the
    pipeline, only by evaluations."""

    config: WorldConfig
    tables: dict[str, pa.Table]
    truth: dict[str, pa.Table]
    generation_seconds: float = field(default=float("nan"), compare=False)

    def save(self, path: str | PathLike[str]) -> None:
        """Parquet per table under path/tables and path/truth, plus path/manifest.json."""
        from sandbox.world.storage import save_world

        save_world(self, path)

    @classmethod
    def load(cls, path: str | PathLike[str], *, verify: bool = True) -> World:
        """Read a saved world; with `verify`, file checksums must match the manifest."""
        from sandbox.world.storage import load_world

        return load_world(path, verify=verify)
