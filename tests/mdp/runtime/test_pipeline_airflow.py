"""The pipeline runs through real Airflow (dag.test) and real dbt, end to end, on a tiny export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mdp.pipeline import SOURCES
from mdp.runtime.dag_runner import run_dags
from mdp.runtime.setup import ensure_airflow_db, ensure_dbt_manifest
from mdp.warehouse import get_warehouse

pytestmark = pytest.mark.airflow


def test_ingest_then_transform_through_airflow(
    settings, tiny_world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sandbox.emulators.faults import FaultConfig
    from sandbox.runner import merge_connections, start_emulators
    from sandbox.world import write_ga4_export

    export_dir = tmp_path / "export"
    write_ga4_export(tiny_world, export_dir)
    emulators, infos = start_emulators(tiny_world, FaultConfig(), tmp_path)
    export = {"conn_type": "generic", "extra": {"export_path": str(export_dir)}}
    for conn_id, conn in merge_connections(infos, {"mdp_ga4": export}).items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    ensure_airflow_db(settings)
    ensure_dbt_manifest(settings)
    dag_ids = [f"ingest_{source}" for source in SOURCES] + ["transform"]
    try:
        runs = run_dags(settings, dag_ids, conf={"start": "2025-03-01", "end": "2025-03-03"})
    finally:
        for emulator in emulators:
            emulator.stop()

    assert [(r.dag_id, r.state) for r in runs] == [(d, "success") for d in dag_ids]
    assert "dbt_build" in runs[-1].tasks
    with get_warehouse(settings) as wh:
        raw = wh.query(
            "select event_date, count(*) as n from raw.ga4_events group by 1"
        ).to_pylist()
        daily = wh.query(
            "select event_date, sum(event_count) as n from marts.fct_web_events_daily group by 1"
        ).to_pylist()
    # 3 days plus the GA4 processing lookback (3 days), all the way to the mart
    assert len(raw) == 6
    assert sorted((str(r["event_date"]), r["n"]) for r in daily) == sorted(
        (f"{r['event_date'][:4]}-{r['event_date'][4:6]}-{r['event_date'][6:]}", r["n"]) for r in raw
    )


def test_a_failing_task_fails_the_run_with_a_clear_error(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mdp.errors import PipelineError

    conn = {"conn_type": "generic", "extra": {"export_path": str(tmp_path / "empty")}}
    monkeypatch.setenv("AIRFLOW_CONN_MDP_GA4", json.dumps(conn))
    ensure_airflow_db(settings)
    with pytest.raises(PipelineError, match=r"DAG ingest_ga4 run .* failed: task ingest\S* failed"):
        run_dags(settings, ["ingest_ga4"], conf={"start": "2025-01-01", "end": "2025-01-01"})
