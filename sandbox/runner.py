"""The sandbox process: world on disk, GA4 export files, emulators, and a state file for mdp."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import world as world_package
from sandbox.emulators.base import Emulator, EmulatorInfo
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.registry import default_emulators
from sandbox.world import World, WorldConfig, generate, write_ga4_export

log = logging.getLogger("sandbox")


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Atomically replace the state file (mdp polls it)."""
    tmp = path.with_suffix(".tmp")
    tmp.touch(mode=0o600)  # it holds the sandbox's (fake) credentials: owner-only, like a secret
    tmp.write_text(json.dumps(state, indent=2, default=str))
    os.replace(tmp, path)


def world_fingerprint() -> str:
    """A digest of the world generator's source: a cached world is reused only by the code
    that generated it (a checkout with a changed generator makes its own)."""
    digest = hashlib.sha256()
    package = Path(world_package.__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def load_or_generate(home: Path, config: WorldConfig) -> tuple[World, Path]:
    """The world for (scale, seed), generated once per generator version and cached under
    home/worlds/."""
    folder = home / "worlds" / f"{config.scale}-seed{config.seed}-{world_fingerprint()}"
    if (folder / "manifest.json").exists():
        return World.load(folder), folder
    world = generate(config)
    world.save(folder)
    return world, folder


def ga4_export(world: World, folder: Path) -> Path:
    """GA4 BigQuery export files (events_YYYYMMDD.parquet), written once per world."""
    export_dir = folder / "ga4_export"
    done = export_dir / "_SUCCESS"
    if not done.exists():
        write_ga4_export(world, export_dir)
        done.touch()
    return export_dir


def merge_connections(infos: list[EmulatorInfo], base: dict[str, Any]) -> dict[str, Any]:
    """All emulators' Airflow connections; one id named twice gets its extras merged."""
    merged: dict[str, Any] = {k: dict(v) for k, v in base.items()}
    for info in infos:
        for conn_id, conn in info.connections.items():
            current = merged.setdefault(conn_id, {})
            extra = {**current.get("extra", {}), **conn.get("extra", {})}
            current.update({k: v for k, v in conn.items() if k != "extra"})
            current["extra"] = extra
    return merged


def start_emulators(
    world: World, faults: FaultConfig, home: Path
) -> tuple[list[Emulator], list[EmulatorInfo]]:
    """Start every emulator; stop those already started if one fails."""
    started: list[Emulator] = []
    infos: list[EmulatorInfo] = []
    try:
        for emulator in default_emulators():
            infos.append(emulator.start(world, faults, home))
            started.append(emulator)
    except Exception:
        for emulator in started:
            emulator.stop()
        raise
    return started, infos


def serve(home: Path, state_file: Path, scale: str, seed: int, faults: float) -> None:
    """Run until SIGTERM/SIGINT, keeping the state file current."""
    home.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {
        "pid": os.getpid(),
        "status": "generating world",
        "faults": faults,
        # the emulators' CRMs live in this process: a new one starts them empty
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_state(state_file, state)
    config = WorldConfig(scale=scale, seed=seed)
    world, folder = load_or_generate(home, config)
    state["world"] = {
        "scale": scale,
        "seed": seed,
        "start": config.start.isoformat(),
        "end": config.end.isoformat(),
        "path": str(folder),
    }
    state["status"] = "writing GA4 export"
    _write_state(state_file, state)
    export_dir = ga4_export(world, folder)
    state["status"] = "starting emulators"
    _write_state(state_file, state)
    emulators, infos = start_emulators(world, FaultConfig(rate=faults, seed=seed), home)
    state["endpoints"] = {"ga4 export (files)": str(export_dir)}
    for info in infos:
        state["endpoints"].update(info.endpoints)
    export = {
        "mdp_ga4": {"conn_type": "google_cloud_platform", "extra": {"export_path": str(export_dir)}}
    }
    state["connections"] = merge_connections(infos, export)
    state["status"] = "ready"
    _write_state(state_file, state)
    log.info("sandbox ready: %s", folder)
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    stopped.wait()
    log.info("sandbox stopping")
    for emulator in emulators:
        emulator.stop()
