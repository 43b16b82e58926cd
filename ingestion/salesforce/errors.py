"""Salesforce failures: which simple-salesforce errors are retried, re-authed or fatal."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from ingestion.common.errors import SourceError
from ingestion.common.retry import Verdict
from mdp.errors import MdpError


class SalesforceAuthError(SourceError):
    """The token endpoint refused the connected app or its refresh token."""


class SalesforceQueryError(SourceError):
    """A query the org rejects (MALFORMED_QUERY, INVALID_FIELD, …); retrying will not fix it."""


class SalesforceIngestError(MdpError):
    """Some objects were quarantined or failed; the others were loaded."""


class TokenEndpointError(Exception):
    """A transient failure of the token endpoint (5xx), retried like any API call."""


class TokenEndpointUnreachable(SourceError):
    """The token endpoint cannot be reached (refused, unknown host, timeout, TLS) or kept
    failing with 5xx through every retry."""


_DNS = (
    "NameResolutionError",
    "Name or service not known",
    "nodename nor servname",
    "Temporary failure in name resolution",
    "No address associated",
    "getaddrinfo failed",
)


def unreachable_cause(error: BaseException) -> str:
    """Why a request never got an answer, in a few words (connection refused, DNS, timeout…)."""
    text = str(error)
    if isinstance(error, requests.exceptions.SSLError):
        found = re.search(r"\[SSL: [A-Z_]+\] ([^\"(]+)", text)
        return "TLS handshake failed" + (f": {found[1].strip(' .')}" if found else "")
    if isinstance(error, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(error, requests.Timeout):
        return "no answer within the connection's timeout_seconds"
    if any(marker in text for marker in _DNS):
        return "its host name does not resolve (DNS)"
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return "connection refused"
    return text.splitlines()[0][:200] if text else type(error).__name__


@dataclass(frozen=True)
class ApiUsage:
    """The org's daily API usage from the latest `Sforce-Limit-Info: api-usage=N/M` header."""

    used: int
    allowed: int

    @classmethod
    def parse(cls, header: str | None) -> ApiUsage | None:
        for part in (header or "").split(","):
            name, _, value = part.strip().partition("=")
            used, _, allowed = value.partition("/")
            if name == "api-usage" and used.isdigit() and allowed.isdigit():
                return cls(int(used), int(allowed))
        return None

    @property
    def exhausted(self) -> bool:
        return self.used >= self.allowed


def error_code(error: SalesforceError) -> str:
    """The errorCode of a Salesforce error body (a JSON array of {message, errorCode})."""
    content: Any = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def error_message(error: SalesforceError) -> str:
    """`CODE: message` of a Salesforce error, without the request URL."""
    content: Any = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return f"{content[0].get('errorCode')}: {content[0].get('message')}"
    return f"HTTP {error.status}: {str(content)[:300]}"


def is_dead_cursor(error: BaseException) -> bool:
    """The session behind a query is gone, so its nextRecordsUrl locator is too: restart."""
    if isinstance(error, SalesforceExpiredSession):
        return True
    return isinstance(error, SalesforceMalformedRequest) and error_code(error) in (
        "INVALID_QUERY_LOCATOR",
        "INVALID_SESSION_ID",
    )


def classifier(
    usage: Callable[[], ApiUsage | None], restartable: bool = True
) -> Callable[[BaseException], Verdict]:
    """`classify` for one kind of call. `restartable` calls (a first query page, describe, count)
    are retried after a re-auth; a `nextRecordsUrl` page is not, its locator died with the
    session, so the error goes up and the query restarts."""

    def classify(error: BaseException) -> Verdict:
        if isinstance(error, SalesforceExpiredSession):
            return Verdict(restartable, "INVALID_SESSION_ID: session expired", refresh_token=True)
        if isinstance(error, SalesforceRefusedRequest) and error_code(error) == (
            "REQUEST_LIMIT_EXCEEDED"
        ):
            return _request_limit(usage())
        if isinstance(error, SalesforceGeneralError) and error.status >= 500:
            return Verdict(True, f"{error_message(error)} (HTTP {error.status})")
        if isinstance(error, requests.Timeout | requests.ConnectionError | TokenEndpointError):
            return Verdict(True, f"{type(error).__name__}: {str(error)[:200]}")
        return Verdict(False, str(error)[:300])

    return classify


def _request_limit(usage: ApiUsage | None) -> Verdict:
    """Short bursts over the concurrency limit pass with back-off; an exhausted daily allowance
    (a rolling 24 h window) will not free up within a run, so fail fast and say so."""
    if usage is not None and usage.exhausted:
        return Verdict(
            False,
            f"REQUEST_LIMIT_EXCEEDED: the org's daily API allowance is used up "
            f"(api-usage={usage.used}/{usage.allowed}); retry once the rolling 24 h window "
            "frees calls",
        )
    shown = f" (api-usage={usage.used}/{usage.allowed})" if usage else ""
    return Verdict(True, f"REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded{shown}")
