"""The pipeline runs through real Airflow (dag.test) and real dbt, end to end, on a tiny export."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from mdp.runtime.dag_runner import run_dags
from mdp.runtime.setup import ensure_airflow_db, ensure_dbt_manifest
from mdp.warehouse import get_warehouse
from tests.fixtures.ga4_export import write_export_day

pytestmark = pytest.mark.airflow


def test_ingest_then_transform_through_airflow(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_dir = tmp_path / "export"
    for day in (1, 2, 3):
        write_export_day(export_dir, date(2025, 1, day), users=day)
    conn = {"conn_type": "generic", "extra": {"export_path": str(export_dir)}}
    monkeypatch.setenv("AIRFLOW_CONN_MDP_GA4", json.dumps(conn))
    ensure_airflow_db(settings)
    ensure_dbt_manifest(settings)

    runs = run_dags(
        settings, ["ingest_ga4", "transform"], conf={"start": "2025-01-01", "end": "2025-01-03"}
    )

    assert [(r.dag_id, r.state) for r in runs] == [
        ("ingest_ga4", "success"),
        ("transform", "success"),
    ]
    assert "dbt.fct_web_events_daily.run" in runs[1].tasks
    with get_warehouse(settings) as wh:
        raw = wh.query("select count(*) as n from raw.ga4_events").column("n")[0].as_py()
        daily = wh.query(
            "select event_date, sum(event_count) as events, max(user_count) as users "
            "from marts.fct_web_events_daily group by event_date order by event_date"
        ).to_pylist()
    assert raw == 3 * (1 + 2 + 3)
    assert [(d["events"], d["users"]) for d in daily] == [(3, 1), (6, 2), (9, 3)]


def test_a_failing_task_fails_the_run_with_a_clear_error(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mdp.errors import PipelineError

    conn = {"conn_type": "generic", "extra": {"export_path": str(tmp_path / "empty")}}
    monkeypatch.setenv("AIRFLOW_CONN_MDP_GA4", json.dumps(conn))
    ensure_airflow_db(settings)
    with pytest.raises(PipelineError, match=r"ingest_ga4 .* ended failed; failed tasks: ingest"):
        run_dags(settings, ["ingest_ga4"], conf={"start": "2025-01-01", "end": "2025-01-01"})
