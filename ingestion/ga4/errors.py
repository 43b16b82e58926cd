"""GA4 connector errors, and how each Data API failure is handled: retry, wait, refresh, fail."""

from __future__ import annotations

import re

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ingestion.common.errors import SourceError
from ingestion.common.retry import Verdict
from mdp.errors import MdpError


class ExportNotReadyError(MdpError):
    """The daily export table/file for a day does not exist (yet)."""


class Ga4ApiError(SourceError):
    """The Data API refused a report in a way retrying will not fix."""


class DailyQuotaExhaustedError(Ga4ApiError):
    """The property used up its tokens for the (Pacific) day; later requests would all fail."""


class Ga4IngestError(MdpError):
    """Some windows were quarantined (the others loaded); the message names each and why."""


_UNKNOWN_FIELD = re.compile(r"Field (?P<field>\S+) is not a valid (?P<kind>dimension|metric)")
_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.InternalServerError,
    gexc.DeadlineExceeded,
    gexc.GatewayTimeout,
    gexc.BadGateway,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
)


def _is_daily(error: gexc.TooManyRequests) -> bool:
    message = str(error).lower()
    return "per day" in message or "tokensperday" in message


def is_auth_failure(error: BaseException) -> bool:
    """The server refused the token (401), seen through whichever layer raised it.

    google-auth retries a 401 itself after refreshing; the client sees `Unauthorized` after that,
    or — when the credentials cannot refresh (anonymous, a bare access token) — google-auth's
    own error instead of the 401. A revoked refresh token (invalid_grant) is not a 401 to retry.
    """
    if isinstance(error, gexc.Unauthorized):
        return True
    if isinstance(error, auth_exc.RefreshError):
        return "invalid_grant" not in str(error)
    return isinstance(error, auth_exc.InvalidOperation)


class Ga4Classifier:
    """Classifies one call's failures for the retry policy. A rejected token is not retried
    here: the client refreshes the credentials and repeats the call outside the policy's
    attempts (see `Ga4ReportClient`), so expired tokens never use up the budget 5xx need."""

    def __call__(self, error: BaseException) -> Verdict:
        if isinstance(error, gexc.TooManyRequests):
            if _is_daily(error):
                return Verdict(False, "daily property token quota exhausted")
            return Verdict(True, f"temporary quota exhausted: {error.message}")
        if isinstance(error, _TRANSIENT):
            return Verdict(True, f"transient {type(error).__name__}")
        if is_auth_failure(error):
            return Verdict(False, "token rejected (401)")
        return Verdict(False, type(error).__name__)


def explain(error: BaseException, property_id: str | None) -> Ga4ApiError:
    """A readable, actionable error for a failure retries did not fix (no secrets in it)."""
    prop = f"GA4 property {property_id}"
    if isinstance(error, gexc.TooManyRequests) and _is_daily(error):
        return DailyQuotaExhaustedError(
            f"{prop} has exhausted its daily token quota ({error.message}); it resets at "
            "midnight Pacific time: rerun the window then, or reduce days/dimensions"
        )
    if isinstance(error, gexc.BadRequest):
        found = _UNKNOWN_FIELD.search(str(error.message))
        if found:
            return Ga4ApiError(
                f"{prop} rejected the report: {found['field']!r} is not a valid GA4 "
                f"{found['kind']}; fix the connection extra '{found['kind']}s'"
            )
        return Ga4ApiError(f"{prop} rejected the report request: {error.message}")
    if isinstance(error, gexc.Forbidden):
        return Ga4ApiError(f"{prop} is not readable with these credentials: {error.message}")
    if is_auth_failure(error) or isinstance(error, auth_exc.GoogleAuthError):
        return Ga4ApiError(
            f"{prop}: the credentials were refused even after a refresh "
            f"({type(error).__name__}); renew them in the Airflow connection"
        )
    if isinstance(error, gexc.TooManyRequests):
        return Ga4ApiError(f"{prop}: quota still exhausted after retries ({error.message})")
    return Ga4ApiError(f"{prop}: report failed after retries: {type(error).__name__}: {error}")
