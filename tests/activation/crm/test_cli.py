"""`mdp sync` as an operator drives it, against the running sandbox: a dry run shows the diff and
writes nothing, a guardrail trip shows what would change and names --force, --force syncs."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.activation.crm.conftest import (
    churn_scores,
    customer_ltv,
    lead_scores,
    query,
    write_scores,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def sandbox(settings: Any) -> Iterator[dict[str, Any]]:
    """The sandbox process on the tiny world (seed 42: the `tiny_world` fixture's ids)."""
    from mdp.runtime import sandbox_process

    try:
        yield sandbox_process.start(settings, "tiny", 42, 0.0, replace=True)
    finally:
        sandbox_process.stop(settings)


def _mdp(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MDP_DUCKDB_PATH": str(settings.duckdb_file),
        "MDP_SYNC__SALESFORCE_POLL_SECONDS": "0.01",
        "COLUMNS": "200",
    }
    mdp = str(Path(sys.executable).parent / "mdp")
    return subprocess.run([mdp, *args], env=env, capture_output=True, text=True, check=False)


def test_sync_dry_run_guardrail_and_force_through_the_cli(
    settings: Any, sandbox: dict[str, Any], tiny_world: Any, tmp_path: Path
) -> None:
    write_scores(
        settings.duckdb_file,
        lead_scores=lead_scores(tiny_world),
        churn_scores=churn_scores(tiny_world),
        customer_ltv=customer_ltv(tiny_world),
    )
    diff_file = tmp_path / "diff.csv"
    dry = _mdp(settings, "sync", "salesforce", "--dry-run", "--output", str(diff_file))
    assert dry.returncode == 0, dry.stderr
    for text in ("records per object", "Field changes", "Sample of records", "Lead_Score__c"):
        assert text in dry.stdout
    assert "dry run: nothing was written to salesforce" in dry.stdout
    with diff_file.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["reason"] for r in rows} == {"new"}
    assert not query(
        settings.duckdb_file,
        "select * from information_schema.tables where table_name = 'sync_state'",
    )

    first = _mdp(settings, "sync", "salesforce")
    assert first.returncode == 0, first.stderr
    assert "succeeded" in first.stdout and " 0 failed" in first.stdout

    write_scores(settings.duckdb_file, lead_scores=lead_scores(tiny_world, seed=99))
    tripped = _mdp(settings, "sync", "salesforce")
    assert tripped.returncode == 3
    error = tripped.stderr.strip()
    assert error.startswith("error: guardrail:") and "--force" in error
    assert "Traceback" not in tripped.stderr and len(error.splitlines()) == 1
    assert "Field changes" in tripped.stdout and "(changed)" in tripped.stdout  # the diff
    log = query(settings.duckdb_file, "select status from activation.sync_log order by 1")
    assert sorted(r["status"] for r in log) == ["aborted", "dry_run", "succeeded"]

    forced = _mdp(settings, "sync", "salesforce", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "succeeded" in forced.stdout
    expected = {
        r["lead_id"]: r["score"]
        for r in query(
            settings.duckdb_file,
            "select lead_id, score from scores.lead_scores where feature_snapshot_date = "
            "(select max(feature_snapshot_date) from scores.lead_scores)",
        )
    }
    state = query(
        settings.duckdb_file,
        "select record_key, values_json from activation.sync_state where object = 'lead_score'",
    )
    held = {r["record_key"]: json.loads(r["values_json"])["Lead_Score__c"] for r in state}
    assert held == expected


def test_sync_with_an_unknown_crm_is_one_line(settings: Any) -> None:
    done = _mdp(settings, "sync", "salesfroce")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: unknown CRM 'salesfroce'; targets: salesforce, hubspot"
