"""Alerts: seed rules and anomaly checks, deduplicated, sent to Slack and e-mail."""

from activation.alerts.run import AlertRun, run_alerts

__all__ = ["AlertRun", "run_alerts"]
