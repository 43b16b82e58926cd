"""Meta Graph errors: which to retry, how long Meta asks us to wait, and safe messages."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import requests
from facebook_business.exceptions import FacebookRequestError

from ingestion.common.errors import SourceError
from ingestion.common.retry import Verdict, retry_after_seconds

#: Throttling: app (4), user/ad account (17), page (32), calls per hour (613), business use
#: case limits (80000-80014; 80000 Ads Insights, 80004 Ads Management).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
#: 2446079: "too many calls from this ad account", 1487742: too many calls (613).
RATE_LIMIT_SUBCODES = frozenset({2446079, 1487742})
#: Graph's generic "unknown/unexpected error, retry later" codes.
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_CODE, TOKEN_EXPIRED_SUBCODE = 190, 463
TOO_MUCH_DATA = (1, 99)
REPORT_NOT_READY = 2601
_SECRET_PARAMS = re.compile(r"(access_token|appsecret_proof|client_secret)=[^&\s'\"]+")


class MetaAuthError(SourceError):
    """The access token is invalid or expired; Meta tokens cannot be refreshed by a connector."""


class TooMuchDataError(SourceError):
    """Graph refused a sync insights query as too large (code 1 / subcode 99)."""


class ReportJobError(SourceError):
    """An async insights job ended "Job Failed"/"Job Skipped" or never finished."""


class QuarantinedWindowsError(SourceError):
    """Some windows failed their checks and were quarantined (the others were loaded)."""


def redact(text: str) -> str:
    """Drop secrets that requests/SDK messages carry in URLs and request params."""
    return _SECRET_PARAMS.sub(r"\1=***", text)


def _json_header(headers: Mapping[str, Any], name: str) -> Any:
    try:
        return json.loads(headers.get(name) or "null")
    except (TypeError, ValueError):
        return None


def regain_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """How long Meta says until access returns: the business-use-case estimate (minutes), the
    ad-account reset time, or Retry-After; None when no header names a positive wait."""
    headers = headers or {}
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in (_json_header(headers, "x-business-use-case-usage") or {}).values()
        for entry in entries
    ]
    account = _json_header(headers, "x-ad-account-usage") or {}
    seconds = [m * 60 for m in minutes]
    if float(account.get("acc_id_util_pct") or 0) >= 100:
        seconds.append(float(account.get("reset_time_duration") or 0))
    seconds.append(retry_after_seconds(headers) or 0)
    wait = max(seconds)
    return wait if wait > 0 else None


def usage_percent(headers: Mapping[str, Any] | None) -> float:
    """The highest utilisation any of Meta's usage headers reports (0-100+)."""
    headers = headers or {}
    values: list[float] = []
    for name in ("x-app-usage", "x-fb-ads-insights-throttle", "x-ad-account-usage"):
        usage = _json_header(headers, name) or {}
        values += [float(v) for v in usage.values() if isinstance(v, int | float)]
    for entries in (_json_header(headers, "x-business-use-case-usage") or {}).values():
        for entry in entries:
            values += [
                float(entry.get(k) or 0) for k in ("call_count", "total_cputime", "total_time")
            ]
    return max(values, default=0.0)


def _label(error: FacebookRequestError) -> str:
    code, subcode = error.api_error_code(), error.api_error_subcode()
    return f"Graph error {code}" + (f"/{subcode}" if subcode else "")


def is_too_much_data(error: BaseException) -> bool:
    """Code 1 / subcode 99: ask for less (smaller window, or an async job)."""
    return (
        isinstance(error, FacebookRequestError)
        and (
            error.api_error_code(),
            error.api_error_subcode(),
        )
        == TOO_MUCH_DATA
    )


def _classify_graph(error: FacebookRequestError) -> Verdict:
    code, subcode = error.api_error_code(), error.api_error_subcode()
    label = _label(error)
    if code == TOKEN_CODE:
        # 463 = expired: worth one retry after re-reading the connection (it may have been
        # rotated); other subcodes (invalid, password changed, app removed) never heal.
        expired = subcode == TOKEN_EXPIRED_SUBCODE
        return Verdict(expired, f"{label}: access token expired or invalid", refresh_token=expired)
    if is_too_much_data(error):
        return Verdict(False, f"{label}: too much data requested")
    if code in RATE_LIMIT_CODES or subcode in RATE_LIMIT_SUBCODES:
        wait = regain_seconds(error.http_headers())
        return Verdict(True, f"{label}: rate limited", wait_seconds=wait)
    server = (error.http_status() or 0) >= 500
    if error.api_transient_error() or code in TRANSIENT_CODES or code == REPORT_NOT_READY or server:
        return Verdict(True, f"{label}: transient")
    return Verdict(False, f"{label}: {error.api_error_message()}")


def classify(error: BaseException) -> Verdict:
    """Retry throttling (waiting as long as Meta asks), transient errors and timeouts; fail fast
    on bad requests, permissions and invalid tokens. Reasons never carry secrets."""
    if isinstance(error, FacebookRequestError):
        return _classify_graph(error)
    if isinstance(error, requests.Timeout | requests.ConnectionError):
        return Verdict(True, f"network: {type(error).__name__}")
    return Verdict(False, type(error).__name__)


def as_source_error(name: str, error: BaseException, conn_id: str) -> SourceError:
    """The final, readable error of a call that failed for good (secrets removed)."""
    if isinstance(error, FacebookRequestError):
        label, message = _label(error), error.api_error_message() or ""
        if error.api_error_code() == TOKEN_CODE:
            return MetaAuthError(
                f"{name}: Meta rejected the access token ({label}: {redact(message)}). Meta "
                f"user tokens cannot be refreshed by the connector: generate a new long-lived "
                f"system-user token in Business Manager and store it as `access_token` in the "
                f"extra of Airflow connection {conn_id!r}."
            )
        if is_too_much_data(error):
            return TooMuchDataError(f"{name}: {label}: {message}")
        return SourceError(f"{name}: {label}: {redact(message)}")
    return SourceError(f"{name}: {type(error).__name__}: {redact(str(error))}")
