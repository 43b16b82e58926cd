"""Delivery through Airflow's Slack webhook and SMTP hooks; secrets stay in the connections."""

from __future__ import annotations

import logging

from activation.alerts import email_message
from activation.alerts.digest import Digest
from activation.alerts.slack_message import slack_message
from mdp.errors import ConfigError, MdpError
from mdp.runtime.connections import get_connection

log = logging.getLogger(__name__)


class AlertDeliveryError(MdpError):
    """A notification channel refused or failed; the alert stays open and is retried next run."""


def send_slack(conn_id: str, digest: Digest) -> None:
    """Post the digest as one message; on failure nothing counts as delivered."""
    from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

    hook = SlackWebhookHook(slack_webhook_conn_id=conn_id, timeout=10)
    try:
        hook.send(**slack_message(digest))
    except Exception as error:  # noqa: BLE001 - its text may quote the webhook URL
        log.warning(
            "Slack delivery failed (%s): %d alert(s) left for the next run",
            type(error).__name__,
            digest.total,
        )
        raise AlertDeliveryError(
            f"Slack delivery through connection {conn_id!r} failed ({type(error).__name__}); "
            "check the connection and retry: undelivered alerts stay queued"
        ) from None


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


def send_email(conn_id: str, recipients: list[str], digest: Digest) -> None:
    """The digest as one HTML e-mail."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    try:
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            hook.send_email_smtp(
                to=recipients,
                subject=email_message.subject(digest),
                html_content=email_message.html(digest),
            )
    except Exception as error:  # noqa: BLE001 - SMTP errors can echo the login
        raise AlertDeliveryError(
            f"alert e-mail through connection {conn_id!r} failed ({type(error).__name__})"
        ) from None
