"""Send the built report through the Airflow SMTP connection, or say why it was not sent."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from typing import TYPE_CHECKING, Any

from mdp.errors import ConfigError, MdpError
from mdp.settings import Settings

if TYPE_CHECKING:
    from activation.report.build import BuiltReport

log = logging.getLogger(__name__)


class ReportEmailError(MdpError):
    """The SMTP server could not be reached or refused the message; the report files stay."""


def email_report(settings: Settings, report: BuiltReport) -> str:
    """Email the PDF and HTML to MDP_REPORT__RECIPIENTS; skipped (with the reason) when no
    recipient or no SMTP connection is configured. Raises ReportEmailError, naming the server,
    the connection and the cause, when the server is down or refuses."""
    recipients = settings.report.recipients
    conn_id = settings.report.smtp_conn_id
    if not recipients:
        return "email skipped: MDP_REPORT__RECIPIENTS is empty"
    from mdp.runtime.connections import get_connection

    try:
        connection = get_connection(conn_id)
    except ConfigError:
        return f"email skipped: Airflow connection {conn_id!r} is not configured"
    from airflow.exceptions import AirflowException
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = (
        f"<p>The marketing weekly report for the week of {report.week_start:%d %b %Y} is "
        "attached (PDF, and HTML to open in a browser).</p><ul>"
        + "".join(f"<li>{title}: {state}</li>" for title, state in report.sections.items())
        + "</ul>"
    )
    try:
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            hook.send_email_smtp(
                to=recipients,
                subject=f"Marketing weekly report, week of {report.week_start:%d %b %Y}",
                html_content=body,
                files=[str(report.pdf), str(report.html)],
            )
    except (OSError, smtplib.SMTPException, AirflowException) as error:
        # `from None` and no server text: an SMTP reply can echo the login
        raise ReportEmailError(
            f"weekly report not e-mailed: SMTP server {smtp_address(connection)} (Airflow "
            f"connection {conn_id!r}) {smtp_failure(error)}; check the server and the "
            f"connection, then rerun with --email; the report is written: {report.html} "
            "and .pdf"
        ) from None
    log.info("weekly report emailed to %d recipient(s)", len(recipients))
    return f"emailed to {len(recipients)} recipient(s)"


def smtp_address(connection: Any) -> str:
    """host:port as the SMTP hook dials it (465 for SSL, 25 without, when no port is set)."""
    ssl_off = bool(connection.extra_dejson.get("disable_ssl", False))
    return f"{connection.host or 'localhost'}:{connection.port or (25 if ssl_off else 465)}"


def smtp_failure(error: BaseException) -> str:
    """What went wrong, in words that hold no server reply (it can quote the login)."""
    if isinstance(error, ConnectionRefusedError):
        return "refused the connection (is it running?)"
    if isinstance(error, socket.gaierror):
        return "has a host name that does not resolve"
    if isinstance(error, TimeoutError):
        return "did not answer in time"
    if isinstance(error, ssl.SSLError):
        return f"failed the TLS handshake ({error.reason or 'SSL error'})"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"refused the login (SMTP {error.smtp_code})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"refused the message (SMTP {error.smtp_code})"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "refused every recipient"
    if isinstance(error, OSError) and error.strerror:
        return f"could not be reached ({error.strerror})"
    return f"could not be reached ({type(error).__name__})"
