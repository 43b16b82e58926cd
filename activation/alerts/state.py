"""The `activation.alerts` table: one row per alert episode, open while its condition holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

from activation.alerts.model import Alert
from mdp.warehouse.base import Warehouse

TABLE = "activation.alerts"
SCHEMA = pa.schema(
    [
        ("alert_id", pa.string()),
        ("condition_key", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("platform", pa.string()),
        ("entity_type", pa.string()),
        ("entity_id", pa.string()),
        ("entity_name", pa.string()),
        ("metric", pa.string()),
        ("expected", pa.string()),
        ("actual", pa.string()),
        ("suggested_action", pa.string()),
        ("message", pa.string()),
        ("status", pa.string()),
        ("first_seen", pa.date32()),
        ("last_seen", pa.date32()),
        ("resolved_on", pa.date32()),
        ("notified_at", pa.timestamp("us", tz="UTC")),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class Reconciled:
    """What one run did to the table; `to_notify` are open episodes not yet delivered."""

    opened: list[dict[str, Any]]
    held: list[dict[str, Any]]
    resolved: list[dict[str, Any]]
    to_notify: list[dict[str, Any]]


def _row(alert: Alert, as_of: date, now: datetime) -> dict[str, Any]:
    return {
        "alert_id": f"{alert.condition_key}#{as_of.isoformat()}",
        "condition_key": alert.condition_key,
        "rule": alert.rule,
        "severity": alert.severity,
        "platform": alert.platform,
        "entity_type": alert.entity_type,
        "entity_id": alert.entity_id,
        "entity_name": alert.entity_name,
        "metric": alert.metric,
        "expected": alert.expected,
        "actual": alert.actual,
        "suggested_action": alert.action,
        "message": alert.message,
        "status": "open",
        "first_seen": as_of,
        "last_seen": as_of,
        "resolved_on": None,
        "notified_at": None,
        "updated_at": now,
    }


def open_episodes(warehouse: Warehouse) -> dict[str, dict[str, Any]]:
    """Open episodes by condition key (none before the first run)."""
    if not warehouse.table_exists(TABLE):
        return {}
    rows = warehouse.query(
        f"select * from {warehouse.qualified_name(TABLE)} where status = 'open'"
    ).to_pylist()
    return {row["condition_key"]: row for row in rows}


def write(warehouse: Warehouse, rows: list[dict[str, Any]]) -> None:
    """Merge rows on alert_id (a rerun with the same rows leaves the same table)."""
    if rows:
        table = pa.Table.from_pylist([{n: r.get(n) for n in SCHEMA.names} for r in rows], SCHEMA)
        warehouse.merge(TABLE, table, keys=["alert_id"])


def reconcile(warehouse: Warehouse, alerts: list[Alert], as_of: date) -> Reconciled:
    """Open new episodes, refresh the ones that still hold, resolve the ones that cleared."""
    now = datetime.now(UTC)
    current = {alert.condition_key: alert for alert in alerts}
    existing = open_episodes(warehouse)
    opened = [_row(alert, as_of, now) for key, alert in current.items() if key not in existing]
    held: list[dict[str, Any]] = []
    resolved: list[dict[str, Any]] = []
    for key, row in existing.items():
        if key in current:
            fresh = _row(current[key], as_of, now)
            keep = ("alert_id", "first_seen", "notified_at")
            held.append({**fresh, **{name: row[name] for name in keep}})
        else:
            resolved.append({**row, "status": "resolved", "resolved_on": as_of, "updated_at": now})
    write(warehouse, opened + held + resolved)
    to_notify = [row for row in opened + held if row["notified_at"] is None]
    return Reconciled(opened, held, resolved, to_notify)


def mark_notified(warehouse: Warehouse, rows: list[dict[str, Any]]) -> None:
    """Record delivery, so the episode is never sent again while it stays open."""
    now = datetime.now(UTC)
    write(warehouse, [{**row, "notified_at": now, "updated_at": now} for row in rows])
