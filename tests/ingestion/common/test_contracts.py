"""Schema contracts per stream from YAML, and the log of schema changes a run saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.common.contracts import (
    CHANGES_TABLE,
    Contract,
    SchemaChange,
    contract,
    record_changes,
)
from mdp.errors import ConfigError
from mdp.warehouse.duckdb import DuckDBWarehouse


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contracts.yml"
    path.write_text(text)
    return path


def test_stream_entry_overrides_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "defaults: {new_fields: discard}\n"
        "salesforce:\n  Subscription__c:\n    new_fields: freeze\n"
        "    renames: {Account_Ref__c: Account__c}\n",
    )
    assert contract("salesforce", "Subscription__c", path) == Contract(
        "freeze", {"Account_Ref__c": "Account__c"}
    )
    assert contract("salesforce", "Lead", path) == Contract("discard", {})
    assert contract("google_ads", "ads", path) == Contract("discard", {})


def test_the_shipped_contracts_file_is_valid() -> None:
    assert contract("salesforce", "Lead").new_fields == "evolve"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaults: {new_fields: grow}\n", "new_fields must be one of evolve, discard, freeze"),
        ("ga4:\n  events:\n    renames: [a, b]\n", "renames must map"),
        ("- a\n", "expected a mapping"),
        ("a: [\n", "cannot read the schema contracts"),
    ],
)
def test_a_bad_contracts_file_is_a_one_line_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        contract("ga4", "events", write(tmp_path, text))


def test_changes_are_recorded_once_and_keep_when_first_seen(tmp_path: Path) -> None:
    change = SchemaChange("Account__c", "removed", "describe no longer lists it", "stream stopped")
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        record_changes(wh, "salesforce", "Subscription__c", [change], "run1")
        first = wh.query(f"select * from {CHANGES_TABLE}").to_pylist()
        record_changes(wh, "salesforce", "Subscription__c", [change], "run2")
        again = wh.query(f"select * from {CHANGES_TABLE}").to_pylist()
    assert len(again) == 1
    assert again[0]["first_seen_at"] == first[0]["first_seen_at"]
    assert again[0]["last_run_id"] == "run2"
    assert again[0]["change"] == "removed" and again[0]["action"] == "stream stopped"
