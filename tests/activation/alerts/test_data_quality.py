"""Schema changes and quarantined records reach the alert digest while they are recent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from activation.alerts.data_quality import quarantine_rule, schema_change_rule
from activation.alerts.digest import rule_title
from ingestion.common.contracts import SchemaChange, record_changes
from ingestion.common.loader import quarantine
from ingestion.common.metadata import LoadContext
from ingestion.common.schema import StreamSchema, fields
from mdp.settings import Settings
from mdp.warehouse.duckdb import DuckDBWarehouse

SCHEMA = StreamSchema("raw.salesforce_lead", ("Id",), fields(("Id", pa.string())))


def test_recent_changes_and_quarantines_alert_and_old_ones_do_not(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        assert schema_change_rule(wh, settings) == [] and quarantine_rule(wh, settings) == []
        record_changes(
            wh,
            "salesforce",
            "Subscription__c",
            [SchemaChange("Account__c", "removed", "describe no longer lists it",
                          "stream stopped; previous data kept")],
            "run1",
        )  # fmt: skip
        rows = pa.table({"Id": ["a", "b"]})
        window = (date(2025, 1, 1), date(2025, 1, 1))
        quarantine(wh, SCHEMA, rows, window, LoadContext("run1"), "x", ["breaks a rule", "other"])
        changes = schema_change_rule(wh, settings)
        held = quarantine_rule(wh, settings)
        later = datetime.now(UTC) + timedelta(days=settings.alerts.window_days + 1)
        assert schema_change_rule(wh, settings, later) == []
        assert quarantine_rule(wh, settings, later) == []
    assert [(a.severity, a.entity_name, a.metric) for a in changes] == [
        ("high", "Subscription__c.Account__c", "field removed")
    ]
    assert [(a.platform, a.entity_id, a.actual) for a in held] == [
        ("salesforce", "raw.salesforce_lead", "2")
    ]
    assert "select reason, row_json from quarantine.salesforce_lead" in held[0].action
    assert rule_title("schema_change") == "Source schema changes"
