"""Ingest a generated world with every connector, in process (what the ingest DAGs run)."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from mdp.pipeline import SOURCES


def ingest_world(world: Any, home: Path, run_id: str = "bench") -> None:
    """Start the emulators on `world`, sync its whole period from every source into the
    warehouse the current settings name, then stop the emulators."""
    from sandbox.emulators.faults import FaultConfig
    from sandbox.runner import merge_connections, start_emulators
    from sandbox.world import write_ga4_export

    export_dir = home / "ga4_export"
    write_ga4_export(world, export_dir)
    emulators, infos = start_emulators(world, FaultConfig(), home)
    try:
        export = {"conn_type": "google_cloud_platform", "extra": {"export_path": str(export_dir)}}
        for conn_id, conn in merge_connections(infos, {"mdp_ga4": export}).items():
            os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)
        window = {"start": world.config.start.isoformat(), "end": world.config.end.isoformat()}
        for source in SOURCES:
            importlib.import_module(f"ingestion.{source}").ingest(window, None, run_id)
    finally:
        for emulator in emulators:
            emulator.stop()
