"""Bad configuration and bad state stop a Meta run with one line, before any request is made."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestion.common.errors import StateError
from ingestion.facebook_ads import MetaConfig
from mdp.errors import ConfigError
from mdp.warehouse.duckdb import DuckDBWarehouse

from .helpers import run_into

EXTRA = {"app_id": "1", "app_secret": "s", "access_token": "EAAx"}
CURSOR = "facebook_ads.insights.cursor"


@pytest.mark.parametrize(
    ("account_id", "expected"),
    [
        (["act_123", "456"], ("act_123", "act_456")),
        ("act_1, 2", ("act_1", "act_2")),
        (123, ("act_123",)),
    ],
)
def test_account_ids_in_the_documented_formats_are_accepted(
    account_id: Any, expected: tuple
) -> None:
    config = MetaConfig.from_extra({**EXTRA, "account_id": account_id}, "mdp_facebook_ads")
    assert config.account_ids == expected


@pytest.mark.parametrize(
    "account_id",
    ["act_123/campaigns", "act_1?fields=x", "123 456", "act_", "../me", ["act_1", None]],
)
def test_a_crafted_account_id_is_refused_at_config_read(account_id: Any) -> None:
    with pytest.raises(ConfigError) as error:
        MetaConfig.from_extra({**EXTRA, "account_id": account_id}, "mdp_facebook_ads")
    message = str(error.value)
    assert message.startswith("Airflow connection 'mdp_facebook_ads': extra field account_id has ")
    assert message.endswith("which is not a Meta ad account id (act_<digits> or <digits>)")
    assert "\n" not in message


def test_a_tuning_value_that_is_not_a_number_is_a_config_error() -> None:
    extra = {**EXTRA, "account_id": "1", "load_window_days": "a week"}
    with pytest.raises(ConfigError, match="extra field load_window_days must be a number"):
        MetaConfig.from_extra(extra, "mdp_facebook_ads")


@pytest.mark.parametrize(
    ("stored", "problem"),
    [("garbage", "which is not a date like 2025-01-31"), ("2099-01-01", "which is in the future")],
)
def test_a_corrupt_cursor_stops_the_run_with_the_reset_command(
    meta_env: Any, tmp_path: Path, stored: str, problem: str
) -> None:
    path = tmp_path / "w.duckdb"
    with DuckDBWarehouse(path) as wh:
        wh.set_state(CURSOR, stored)
    with pytest.raises(StateError) as error:
        run_into(path, {"start": "2025-08-10", "end": "2025-08-10"})
    assert str(error.value) == (
        f"state key '{CURSOR}' holds '{stored}', {problem}; see it with `mdp state show "
        "facebook_ads` and reset it with `mdp state reset facebook_ads insights` (the next run "
        "then syncs from scratch)"
    )
    with DuckDBWarehouse(path) as wh:
        assert wh.get_state(CURSOR) == stored
        assert not wh.table_exists("raw.facebook_ads_insights")


def test_a_window_in_the_future_is_refused_and_moves_no_cursor(meta_env: Any, tmp_path: Path):
    path = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError) as error:
        run_into(path, {"start": "2099-01-01", "end": "2099-01-01"})
    today = max(datetime.now(UTC).date(), datetime.now().date())
    assert str(error.value) == f"end 2099-01-01 is in the future (today is {today})"
    assert not path.exists()  # refused before the warehouse was opened


def test_the_connection_json_the_sandbox_writes_passes_validation(meta_env: Any) -> None:
    extra = json.loads(meta_env.connection_json)["extra"]
    assert MetaConfig.from_extra(extra, "mdp_facebook_ads").account_ids[0].startswith("act_")


def _with_new_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Meta starts sending `quality_ranking` with every insights row."""
    sync = importlib.import_module("ingestion.facebook_ads.sync")  # the name is also a function
    real = sync.insights_table

    def with_ranking(rows: Any, windows: Any) -> Any:
        return real([{**row, "quality_ranking": "ABOVE_AVERAGE"} for row in rows], windows)

    monkeypatch.setattr(sync, "insights_table", with_ranking)


DAYS = {"start": "2025-08-10", "end": "2025-08-11", "lookback_days": 0}


def test_a_new_field_is_kept_and_recorded_under_evolve(
    meta_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_new_field(monkeypatch)
    path = tmp_path / "w.duckdb"
    run_into(path, DAYS)
    with DuckDBWarehouse(path) as wh:
        extras = wh.query("select distinct _mdp_extra from raw.facebook_ads_insights").to_pylist()
        changes = wh.query("select * from mdp_meta.schema_changes").to_pylist()
    assert extras == [{"_mdp_extra": '{"quality_ranking": "ABOVE_AVERAGE"}'}]
    assert [(c["source"], c["stream"], c["field"], c["change"], c["action"]) for c in changes] == [
        ("facebook_ads", "insights", "quality_ranking", "added", "kept in _mdp_extra (contract: "
         "evolve)")
    ]  # fmt: skip


def test_a_new_field_under_freeze_stops_the_stream_and_keeps_its_data(
    meta_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingestion.common.contracts import Contract
    from ingestion.facebook_ads.errors import QuarantinedWindowsError

    sync = importlib.import_module("ingestion.facebook_ads.sync")
    path = tmp_path / "w.duckdb"
    run_into(path, DAYS)
    with DuckDBWarehouse(path) as wh:
        before = wh.checksum("raw.facebook_ads_insights")
    _with_new_field(monkeypatch)
    frozen = Contract("freeze")
    monkeypatch.setattr(sync, "contract", lambda source, stream: frozen)
    with pytest.raises(QuarantinedWindowsError) as error:
        run_into(path, {**DAYS, "start": "2025-08-12", "end": "2025-08-12"}, run_id="frozen")
    assert str(error.value) == (
        "facebook_ads: 1 stream(s) stopped by a schema change (their previous data kept): "
        "raw.facebook_ads_insights: raw.facebook_ads_insights: the source sends new field(s) "
        "quality_ranking and the stream's contract is `freeze`; declare them or set "
        "new_fields: evolve in ingestion/contracts.yml"
    )
    with DuckDBWarehouse(path) as wh:
        assert wh.checksum("raw.facebook_ads_insights") == before
        assert wh.get_state(CURSOR) == "2025-08-11"
        change = wh.query("select action from mdp_meta.schema_changes").to_pylist()
    assert change == [{"action": "stream stopped (contract: freeze); previous data kept"}]
