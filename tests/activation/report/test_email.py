"""`mdp report --email` when the mail server is down: the report files are written, then one
line names the server, the connection and the cause, and the command fails."""

from __future__ import annotations

import json
import smtplib
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from activation.report.email import smtp_failure
from tests.fixtures.cli import one_line_error, run_mdp


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that is bound but not listening: connecting to it is refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def test_smtp_down_is_one_line_and_the_report_is_still_written(
    warehouse_settings: Any, closed_port: int
) -> None:
    result = run_mdp(  # MDP_HOME and MDP_DUCKDB_PATH: a copy of the built marts
        "report",
        "--email",
        env={
            "MDP_REPORT__RECIPIENTS": json.dumps(["ops@example.com"]),
            "MDP_REPORT__SMTP_CONN_ID": "mdp_report_smtp",
            "AIRFLOW_CONN_MDP_REPORT_SMTP": f"smtp://mailer:s3cretpw@127.0.0.1:{closed_port}",
        },
    )
    line = one_line_error(result)
    (html,) = (warehouse_settings.home / "reports").glob("weekly-*.html")
    assert html.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
    assert line == (
        f"error: weekly report not e-mailed: SMTP server 127.0.0.1:{closed_port} (Airflow "
        "connection 'mdp_report_smtp') refused the connection (is it running?); check the server "
        f"and the connection, then rerun with --email; the report is written: {html} and .pdf"
    )
    assert f"HTML: {html}" in result.stdout
    assert "WARNING" not in result.stdout  # weasyprint's per-style notes stay out of the way
    assert "s3cretpw" not in result.stdout + result.stderr


def test_smtp_failures_are_described_without_the_server_reply() -> None:
    login = smtplib.SMTPAuthenticationError(535, b"5.7.8 mailer/s3cretpw rejected")
    assert smtp_failure(login) == "refused the login (SMTP 535)"
    assert smtp_failure(socket.gaierror(-2, "Name or service not known")) == (
        "has a host name that does not resolve"
    )
    assert smtp_failure(TimeoutError("timed out")) == "did not answer in time"
    assert smtp_failure(smtplib.SMTPServerDisconnected("bye mailer")) == (
        "could not be reached (SMTPServerDisconnected)"
    )
