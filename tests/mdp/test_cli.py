"""The `mdp` CLI: clear one-line errors, doctor's report, stage selection."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mdp.cli import app
from mdp.errors import ConfigError
from mdp.pipeline import select_stages, stage_names
from mdp.runtime.setup import ensure_airflow_db

runner = CliRunner()


def test_doctor_reports_config_and_checks(settings) -> None:
    ensure_airflow_db(settings)
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert '"warehouse": "duckdb"' in result.output
    assert "dbt-core" in result.output and "1.11." in result.output
    assert "warehouse (duckdb)" in result.output


def test_doctor_redacts_secrets(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from mdp.settings import get_settings

    monkeypatch.setenv("MDP_BIGQUERY__CREDENTIALS_JSON", '{"private_key": "TOPSECRETKEY"}')
    get_settings.cache_clear()
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert "TOPSECRETKEY" not in result.output
    assert "**********" in result.output


def test_stage_selection() -> None:
    assert [s.name for s in select_stages()] == stage_names()
    assert [s.name for s in select_stages(only="transform")] == ["transform"]
    assert [s.name for s in select_stages(start_from="transform")] == stage_names()[1:]
    with pytest.raises(ConfigError, match="unknown stage"):
        select_stages(only="nope")


def test_run_rejects_date_and_range_together() -> None:
    result = runner.invoke(app, ["run", "--date", "2025-01-01", "--start", "2025-01-01"])
    assert isinstance(result.exception, ConfigError)
    assert "either --date or --start/--end" in str(result.exception)


def test_sandbox_status_when_down(settings) -> None:
    result = runner.invoke(app, ["sandbox", "status"])
    assert result.exit_code == 1
    assert "not running" in result.output


def test_doctor_exits_2_with_one_line_per_missing_connection(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mdp.settings import get_settings

    ensure_airflow_db(settings)
    monkeypatch.setenv("MDP_SANDBOX", "false")
    monkeypatch.setenv("AIRFLOW_CONN_MDP_GA4", '{"conn_type": "google_cloud_platform"}')
    get_settings.cache_clear()
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    # ga4 is defined; Meta, Google Ads and Salesforce are not; HubSpot and Slack are optional
    assert [line.split()[2] for line in errors] == [
        "mdp_facebook_ads",
        "mdp_google_ads",
        "mdp_salesforce",
    ], errors
    assert all("AIRFLOW_CONN_" in line for line in errors)
