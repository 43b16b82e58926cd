"""Logging setup with a redaction filter, so secrets never reach logs or error messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_SECRETS: set[str] = set()
_PATTERNS = [
    # key=value / "key": "value" pairs whose name says they hold a secret
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|passwd|api_key|apikey|"
        r"developer_token|appsecret_proof|session_id|secret)[\"']?\s*[:=]\s*[\"']?)"
        r"([^\s\"'&,}]+)"
    ),
    re.compile(r"(?i)(authorization:\s*(?:bearer|basic)\s+)(\S+)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]{8,})"),
    # credentials inside URLs: scheme://user:password@host
    re.compile(r"(://[^:/\s@]+:)([^@\s]+)(@)"),
]
MASK = "**********"


def register_secrets(values: Iterable[str | None]) -> None:
    """Remember secret values so any log line or message containing them is masked."""
    for value in values:
        if value and len(value) >= 4:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """Mask registered secret values and anything that looks like a credential."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(
            lambda m: m.group(1) + MASK + (m.group(3) if m.lastindex == 3 else ""), text
        )
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with `redact` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Root logging for the CLI: Rich console output, every handler redacting."""
    from rich.logging import RichHandler

    handler = RichHandler(rich_tracebacks=False, show_path=False, markup=False)
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    # Airflow's masker warns about every short sandbox credential it will not mask: noise on
    # a terminal (the log files keep it)
    logging.getLogger("airflow.sdk._shared.secrets_masker").setLevel(logging.ERROR)
