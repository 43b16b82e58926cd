"""Send the built report through the Airflow SMTP connection, or say why it was not sent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mdp.settings import Settings

if TYPE_CHECKING:
    from activation.report.build import BuiltReport

log = logging.getLogger(__name__)


def email_report(settings: Settings, report: BuiltReport) -> str:
    """Email the PDF and HTML to MDP_REPORT__RECIPIENTS; skipped (with the reason) when no
    recipient or no SMTP connection is configured."""
    recipients = settings.report.recipients
    conn_id = settings.report.smtp_conn_id
    if not recipients:
        return "email skipped: MDP_REPORT__RECIPIENTS is empty"
    from mdp.errors import ConfigError
    from mdp.runtime.connections import get_connection

    try:
        get_connection(conn_id)
    except ConfigError:
        return f"email skipped: Airflow connection {conn_id!r} is not configured"
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = (
        f"<p>The marketing weekly report for the week of {report.week_start:%d %b %Y} is "
        "attached (PDF, and HTML to open in a browser).</p><ul>"
        + "".join(f"<li>{title}: {state}</li>" for title, state in report.sections.items())
        + "</ul>"
    )
    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(
            to=recipients,
            subject=f"Marketing weekly report, week of {report.week_start:%d %b %Y}",
            html_content=body,
            files=[str(report.pdf), str(report.html)],
        )
    log.info("weekly report emailed to %d recipient(s)", len(recipients))
    return f"emailed to {len(recipients)} recipient(s)"
