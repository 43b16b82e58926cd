"""Saving and loading worlds: Parquet files plus a manifest with row counts and checksums."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sandbox.world.config import WorldConfig
from sandbox.world.errors import WorldIntegrityError
from sandbox.world.world import World

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
_KINDS = ("tables", "truth")


def save_world(world: World, path: str | PathLike[str]) -> None:
    root = Path(path)
    entries: dict[str, dict[str, dict[str, object]]] = {}
    for kind in _KINDS:
        folder = root / kind
        folder.mkdir(parents=True, exist_ok=True)
        entries[kind] = {}
        for name, table in getattr(world, kind).items():
            file = folder / f"{name}.parquet"
            pq.write_table(table, file, compression="zstd")
            entries[kind][name] = {"rows": table.num_rows, "sha256": _sha256(file)}
    manifest = {
        "format_version": FORMAT_VERSION,
        "config": world.config.to_dict(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generation_seconds": round(world.generation_seconds, 3),
        **entries,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def load_world(path: str | PathLike[str], *, verify: bool = True) -> World:
    root = Path(path)
    manifest_file = root / MANIFEST
    if not manifest_file.exists():
        raise WorldIntegrityError(f"{manifest_file} not found: is {root} a saved world?")
    manifest = json.loads(manifest_file.read_text())
    loaded: dict[str, dict[str, pa.Table]] = {}
    for kind in _KINDS:
        loaded[kind] = {}
        for name, entry in manifest[kind].items():
            file = root / kind / f"{name}.parquet"
            if verify and (not file.exists() or _sha256(file) != entry["sha256"]):
                raise WorldIntegrityError(
                    f"{file} is missing or differs from the manifest; regenerate the world"
                )
            loaded[kind][name] = pq.read_table(file)
    return World(
        config=WorldConfig.from_dict(manifest["config"]),
        tables=loaded["tables"],
        truth=loaded["truth"],
        generation_seconds=float(manifest.get("generation_seconds", float("nan"))),
    )


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
