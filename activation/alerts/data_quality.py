"""Alerts on what the connectors met: source schema changes and records they quarantined.

These watch the pipeline, not the business: they look back over the trailing window of the
wall clock (not the report's as-of day), since a schema change or a quarantined record is news
when it happens, whatever day the data is about.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from activation.alerts.model import Alert
from ingestion.common.contracts import CHANGES_TABLE
from mdp.settings import Settings
from mdp.warehouse.base import Warehouse

SCHEMA_CHANGE_RULE = "schema_change"
QUARANTINE_RULE = "quarantined_records"
QUARANTINE_SCHEMA = "quarantine"


def _since(settings: Settings, now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=settings.alerts.window_days)


def schema_change_rule(
    warehouse: Warehouse, settings: Settings, now: datetime | None = None
) -> list[Alert]:
    """Each field a source added, removed, renamed or retyped within the window."""
    if not warehouse.table_exists(CHANGES_TABLE):
        return []
    since = _since(settings, now)
    rows = warehouse.query(f"select * from {warehouse.qualified_name(CHANGES_TABLE)}")
    alerts = []
    for row in rows.to_pylist():
        if row["last_seen_at"] < since:
            continue
        stopped = "stopped" in row["action"]
        alerts.append(
            Alert(
                SCHEMA_CHANGE_RULE,
                "high" if stopped else "medium",
                row["source"],
                "stream",
                f"{row['stream']}.{row['field']}",
                f"{row['stream']}.{row['field']}",
                f"field {row['change']}",
                "the stream's contract (ingestion/contracts.yml)",
                row["detail"],
                row["action"],
            )
        )
    return alerts


def quarantine_rule(
    warehouse: Warehouse, settings: Settings, now: datetime | None = None
) -> list[Alert]:
    """Per raw table, the records quarantined within the window and the commonest reason."""
    since = _since(settings, now)
    alerts = []
    for name in warehouse.list_tables(QUARANTINE_SCHEMA):
        table = warehouse.qualified_name(f"{QUARANTINE_SCHEMA}.{name}")
        rows = warehouse.query(f"select source_table, reason, quarantined_at from {table}")
        recent = [r for r in rows.to_pylist() if r["quarantined_at"] >= since]
        if not recent:
            continue
        reason, _ = Counter(r["reason"] for r in recent).most_common(1)[0]
        source_table = recent[0]["source_table"]
        alerts.append(
            Alert(
                QUARANTINE_RULE,
                "medium",
                source_table.split(".", 1)[-1].split("_", 1)[0],
                "table",
                source_table,
                source_table,
                f"records quarantined in the last {settings.alerts.window_days} days",
                "0",
                str(len(recent)),
                f"Commonest reason: {reason[:200]}. Inspect them with "
                f"`select reason, row_json from quarantine.{name}`; fixed records load again "
                "on the next run.",
            )
        )
    return alerts
