"""Settings: defaults, environment overrides, one clear error for bad values, secrets hidden."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mdp.errors import ConfigError
from mdp.settings import WarehouseKind, load_settings


def test_defaults_are_local_duckdb(monkeypatch: pytest.MonkeyPatch, session_home) -> None:
    settings = load_settings()
    assert settings.warehouse is WarehouseKind.DUCKDB
    assert settings.duckdb_file == session_home / "warehouse.duckdb"
    assert settings.mlflow_uri.startswith("sqlite:///")
    assert settings.effective_dbt_target == "local"


def test_bigquery_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_WAREHOUSE", "bigquery")
    monkeypatch.setenv("MDP_BIGQUERY__PROJECT", "acme-marketing")
    monkeypatch.setenv("MDP_BIGQUERY__DATASET_PREFIX", "mdp_")
    settings = load_settings()
    assert settings.warehouse is WarehouseKind.BIGQUERY
    assert settings.bigquery.dataset("raw") == "mdp_raw"
    assert settings.effective_dbt_target == "bigquery"


def test_bad_warehouse_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_WAREHOUSE", "postgres")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "MDP_WAREHOUSE" in str(caught.value)
    assert "postgres" in str(caught.value)
    assert caught.value.exit_code == 2


def test_secret_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDP_BIGQUERY__CREDENTIALS_JSON", '{"private_key": "s3cr3t-key-material"}')
    settings = load_settings()
    assert "s3cr3t" not in repr(settings)
    assert "s3cr3t" not in str(settings.redacted())
    assert settings.bigquery.credentials_json is not None


def test_cli_bad_warehouse_exits_2_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mdp.cli", "doctor"],
        env={"MDP_WAREHOUSE": "postgres", "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: invalid configuration: MDP_WAREHOUSE")
    assert "Traceback" not in result.stderr + result.stdout


def test_alert_slack_users_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "MDP_ALERTS__SLACK_USERS", '{"Jane Roe": "U0123ABCD", "0055f000000SAMBQAA": "W0456EFGH"}'
    )
    assert load_settings().alerts.slack_users == {
        "Jane Roe": "U0123ABCD",
        "0055f000000SAMBQAA": "W0456EFGH",
    }
    monkeypatch.setenv("MDP_ALERTS__SLACK_USERS", '{"Jane Roe": "@jane"}')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(
        "invalid configuration: MDP_ALERTS__SLACK_USERS: Value error, not a Slack member id "
        "('Jane Roe': '@jane')"
    )
