"""Delivery through Airflow's Slack webhook and SMTP hooks; secrets stay in the connections."""

from __future__ import annotations

import logging
from typing import Any

from mdp.errors import ConfigError, MdpError
from mdp.runtime.connections import get_connection

log = logging.getLogger(__name__)

SEVERITY_ICON = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":white_circle:"}


class AlertDeliveryError(MdpError):
    """A notification channel refused or failed; the alert stays open and is retried next run."""


def slack_payload(row: dict[str, Any]) -> dict[str, Any]:
    """Slack message for one alert: a plain-text fallback and a section block."""
    icon = SEVERITY_ICON.get(row["severity"], "")
    title = f"{icon} *{row['rule'].replace('_', ' ')}* ({row['severity']}): {row['entity_name']}"
    body = (
        f"{row['metric']}: *{row['actual']}* (expected {row['expected']})\n"
        f"_{row['suggested_action']}_\n`{row['condition_key']}` since {row['first_seen']}"
    )
    return {
        "text": row["message"],
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"{title}\n{body}"}}],
    }


def send_slack(conn_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Post one message per alert; returns the rows delivered (stops at the first failure)."""
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    hook = SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=10)
    delivered: list[dict[str, Any]] = []
    for row in rows:
        try:
            hook.send(**slack_payload(row))
        except Exception as error:  # noqa: BLE001 - its text may quote the webhook URL
            log.warning(
                "Slack delivery failed (%s): %d alert(s) left for the next run",
                type(error).__name__,
                len(rows) - len(delivered),
            )
            raise AlertDeliveryError(
                f"Slack delivery through connection {conn_id!r} failed ({type(error).__name__}); "
                "check the connection and retry: undelivered alerts stay queued"
            ) from None
        delivered.append(row)
    return delivered


def email_configured(conn_id: str, recipients: list[str]) -> bool:
    """Whether e-mail can go out: an SMTP connection and at least one recipient."""
    if not recipients:
        log.info("alert e-mail skipped: no recipients (MDP_ALERTS__EMAIL_TO)")
        return False
    try:
        get_connection(conn_id)
    except ConfigError:
        log.info("alert e-mail skipped: no SMTP connection %r", conn_id)
        return False
    return True


def send_email(conn_id: str, recipients: list[str], rows: list[dict[str, Any]]) -> None:
    """One e-mail listing the new alerts."""
    from html import escape

    from airflow.providers.smtp.hooks.smtp import SmtpHook

    items = "".join(f"<li>{escape(row['message'])}</li>" for row in rows)
    subject = f"mdp: {len(rows)} new alert(s)"
    try:
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            hook.send_email_smtp(to=recipients, subject=subject, html_content=f"<ul>{items}</ul>")
    except Exception as error:  # noqa: BLE001 - SMTP errors can echo the login
        raise AlertDeliveryError(
            f"alert e-mail through connection {conn_id!r} failed ({type(error).__name__})"
        ) from None
