"""Secrets never reach logs or messages."""

from __future__ import annotations

import logging

import pytest

from mdp.logging import MASK, RedactingFilter, redact, register_secrets


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /v26.0/act_1/insights?access_token=EAABsecret123&fields=spend", "EAABsecret123"),
        ("Authorization: Bearer ya29.a0Afsecret", "ya29.a0Afsecret"),
        ('{"refresh_token": "1//0gsecret"}', "1//0gsecret"),
        ("https://svc:p4ssw0rd@example.com/x", "p4ssw0rd"),
        ("developer_token=DEVtok3n", "DEVtok3n"),
    ],
)
def test_redact_patterns(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned


def test_registered_secret_masked_in_log_records(caplog: pytest.LogCaptureFixture) -> None:
    register_secrets(["registered-value-42"])
    logger = logging.getLogger("mdp.test")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="mdp.test"):
        logger.info("calling API with %s", "registered-value-42")
    assert "registered-value-42" not in caplog.text
    assert MASK in caplog.text
