"""Saving and loading a world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.world import World, WorldIntegrityError


def test_save_load_round_trip(tiny_world: World, tmp_path: Path) -> None:
    tiny_world.save(tmp_path)
    loaded = World.load(tmp_path)
    assert loaded.config == tiny_world.config
    assert set(loaded.tables) == set(tiny_world.tables)
    for kind in ("tables", "truth"):
        for name, table in getattr(tiny_world, kind).items():
            assert getattr(loaded, kind)[name].equals(table), name


def test_manifest_records_config_counts_and_checksums(tiny_world: World, tmp_path: Path) -> None:
    tiny_world.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["config"]["scale"] == "tiny"
    assert manifest["generated_at"]
    entry = manifest["tables"]["ga4_events"]
    assert entry["rows"] == tiny_world.tables["ga4_events"].num_rows
    assert len(entry["sha256"]) == 64
    assert (tmp_path / "truth" / "lead_truth.parquet").exists()


def test_tampered_file_is_refused(tiny_world: World, tmp_path: Path) -> None:
    tiny_world.save(tmp_path)
    (tmp_path / "tables" / "sf_lead.parquet").write_bytes(b"not parquet")
    with pytest.raises(WorldIntegrityError, match="sf_lead"):
        World.load(tmp_path)
    with pytest.raises(WorldIntegrityError, match="manifest"):
        World.load(tmp_path / "tables")
