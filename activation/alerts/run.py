"""One alert run: evaluate rules and anomalies, reconcile with the alerts table, notify."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from activation.alerts.anomalies import evaluate_anomalies
from activation.alerts.data_quality import quarantine_rule, schema_change_rule
from activation.alerts.digest import Digest, build_digest
from activation.alerts.model import Alert
from activation.alerts.notify import email_configured, send_email, send_slack
from activation.alerts.record_links import salesforce_instance_url
from activation.alerts.rules import evaluate_rules
from activation.alerts.state import mark_notified, reconcile
from mdp.errors import ConfigError
from mdp.settings import Settings
from mdp.warehouse import get_warehouse
from mdp.warehouse.base import Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertRun:
    """What a run found and did."""

    as_of: date
    alerts: list[Alert]
    opened: int
    held: int
    resolved: int
    notified: int
    emailed: bool


def latest_day(warehouse: Warehouse) -> date:
    """The latest day in the ad performance mart (the default evaluation day)."""
    table = warehouse.qualified_name("marts.fct_ad_performance_daily")
    day = warehouse.query(f"select max(date) as day from {table}")["day"][0].as_py()
    if day is None:
        raise ConfigError("marts.fct_ad_performance_daily is empty: build the marts first")
    return day if isinstance(day, date) else day.date()


def evaluate(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Every alert that holds on `as_of`, and what the connectors met lately."""
    return (
        evaluate_rules(warehouse, settings, as_of)
        + evaluate_anomalies(warehouse, settings, as_of)
        + schema_change_rule(warehouse, settings)
        + quarantine_rule(warehouse, settings)
    )


def queued_digest(
    settings: Settings, alerts: list[Alert], pending: list[dict[str, Any]], as_of: date
) -> Digest:
    """The digest of the queued episodes, from this run's alerts (reconcile queues only
    episodes whose condition holds now); CRM items link to their Salesforce records."""
    current = {alert.condition_key: alert for alert in alerts}
    queued = [current[row["condition_key"]] for row in pending]
    crm = any(alert.platform == "crm" for alert in queued)
    instance_url = salesforce_instance_url(settings.connections.salesforce) if crm else None
    return build_digest(queued, as_of, instance_url, settings.alerts.slack_users)


def run_alerts(settings: Settings, as_of: date | None = None, notify: bool = True) -> AlertRun:
    """Evaluate, record every alert in activation.alerts, send the new ones once: one digest
    per channel, all or nothing (a failed post leaves every alert queued for the next run)."""
    config = settings.alerts
    with get_warehouse(settings) as warehouse:
        day = as_of or latest_day(warehouse)
        alerts = evaluate(warehouse, settings, day)
        result = reconcile(warehouse, alerts, day)
        pending = result.to_notify if notify else []
        emailed = False
        if pending:  # a failed send raises here: nothing below marks the alerts as notified
            news = queued_digest(settings, alerts, pending, day)
            send_slack(settings.connections.alerts_webhook, news)
            emailed = email_configured(config.email_connection, config.email_to)
            if emailed:
                send_email(config.email_connection, config.email_to, news)
        mark_notified(warehouse, pending)
    log.info(
        "alerts on %s: %d holding, %d opened, %d resolved, %d sent",
        day,
        len(alerts),
        len(result.opened),
        len(result.resolved),
        len(pending),
    )
    return AlertRun(
        day,
        alerts,
        len(result.opened),
        len(result.held),
        len(result.resolved),
        len(pending),
        emailed,
    )
