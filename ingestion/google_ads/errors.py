"""Google Ads failures: what to retry, what to wait out, when to refresh the token, when to stop."""

from __future__ import annotations

import importlib
import re
from typing import Any

from ingestion.common.errors import SourceError
from ingestion.common.retry import Verdict
from mdp.errors import MdpError

#: Trailing-metadata key suffix of the serialized GoogleAdsFailure (the prefix names the version).
FAILURE_SUFFIX = ".errors.googleadsfailure-bin"
TOKEN_EXPIRED = "authentication_error.OAUTH_TOKEN_EXPIRED"
TEMPORARY_QUOTA = "quota_error.RESOURCE_TEMPORARILY_EXHAUSTED"
DAILY_QUOTA = "quota_error.RESOURCE_EXHAUSTED"
#: Retry-worthy codes when the API sends them as a GoogleAdsException rather than a raw status.
_TRANSIENT_CODES = {
    TEMPORARY_QUOTA,
    "internal_error.INTERNAL_ERROR",
    "internal_error.TRANSIENT_ERROR",
}
#: QuotaErrorDetails.QuotaRateScope.DEVELOPER: the developer token's daily operations ran out.
_DEVELOPER_SCOPE = 3


_GRANT_ERROR = re.compile(r"invalid_(?:grant|client)[^'\"]*")


class GoogleAdsSourceError(SourceError):
    """Google Ads refused a request for good (auth, daily quota, bad query, or retries ran out)."""


class GoogleAdsQuarantineError(MdpError):
    """Some windows failed their quality gate: they went to quarantine, the others loaded."""


def failure_of(error: BaseException) -> Any | None:
    """The GoogleAdsFailure (protobuf) carried by an error, decoded from the trailer if needed.

    The client raises GoogleAdsException (with `.failure`) for most statuses, but passes
    RESOURCE_EXHAUSTED and INTERNAL through as plain api_core errors: their failure is still in
    the call's trailing metadata.
    """
    failure = getattr(error, "failure", None)
    if failure is not None:
        return getattr(failure, "_pb", failure)
    call = getattr(error, "response", None) or (
        error if hasattr(error, "trailing_metadata") else None
    )
    try:
        metadata = call.trailing_metadata() if call is not None else None
    except Exception:  # noqa: BLE001 - a broken call has no readable trailer: nothing to decode
        return None
    for key, value in metadata or ():
        if key.endswith(FAILURE_SUFFIX):
            version = key.split(".")[
                3
            ]  # google.ads.googleads.<version>.errors.googleadsfailure-bin
            module = importlib.import_module(f"google.ads.googleads.{version}.errors.types.errors")
            return module.GoogleAdsFailure.pb().FromString(value)
    return None


def error_codes(failure: Any | None) -> list[str]:
    """Each error's code as `<family>.<NAME>`, e.g. `quota_error.RESOURCE_TEMPORARILY_EXHAUSTED`."""
    codes = []
    for item in getattr(failure, "errors", ()):
        family = item.error_code.WhichOneof("error_code")
        if family is None:
            continue
        number = getattr(item.error_code, family)
        enum = item.error_code.DESCRIPTOR.fields_by_name[family].enum_type
        value = enum.values_by_number.get(number)
        codes.append(f"{family}.{value.name if value else number}")
    return codes


def _quota_details(failure: Any | None) -> tuple[float | None, int | None]:
    """(retry_delay seconds, rate scope) of the first quota error that carries details."""
    for item in getattr(failure, "errors", ()):
        if item.details.HasField("quota_error_details"):
            details = item.details.quota_error_details
            delay = details.retry_delay
            seconds = delay.seconds + delay.nanos / 1e9 if details.HasField("retry_delay") else None
            return seconds, details.rate_scope
    return None, None


def request_id(error: BaseException, failure: Any | None) -> str:
    """The API's request id, which Google support asks for."""
    return str(getattr(error, "request_id", None) or getattr(failure, "request_id", "") or "")


def describe(error: BaseException) -> str:
    """A one-line account of a failure: class, error codes, messages and request id."""
    failure = failure_of(error)
    codes = error_codes(failure)
    messages = [item.message for item in getattr(failure, "errors", ()) if item.message]
    parts = [type(error).__name__]
    if codes:
        parts.append("codes " + ", ".join(codes))
    parts.append("; ".join(messages) if messages else _status_text(error))
    rid = request_id(error, failure)
    if rid:
        parts.append(f"request_id {rid}")
    return ": ".join(p for p in parts if p)


def _status_text(error: BaseException) -> str:
    return str(getattr(error, "message", "") or error).splitlines()[0] if str(error) else ""


def classify(error: BaseException) -> Verdict:
    """How the shared retry policy treats one Google Ads failure."""
    from google.api_core import exceptions as api

    if isinstance(error, api.ResourceExhausted):
        return _classify_quota(error)
    if _is_auth_plugin_failure(error):
        return Verdict(False, f"the OAuth token endpoint refused the credentials ({_grant(error)})")
    if isinstance(error, (api.InternalServerError, api.ServiceUnavailable, api.DeadlineExceeded)):
        return Verdict(True, describe(error))
    if type(error).__name__ == "GoogleAdsException":
        return _classify_ads_failure(error)
    if type(error).__name__ == "RefreshError":
        return Verdict(bool(getattr(error, "retryable", False)), f"token refresh: {error}")
    return Verdict(False, describe(error))


def _classify_quota(error: BaseException) -> Verdict:
    failure = failure_of(error)
    codes = error_codes(failure)
    delay, scope = _quota_details(failure)
    if DAILY_QUOTA in codes or scope == _DEVELOPER_SCOPE:
        return Verdict(False, f"daily quota exhausted, do not retry today: {describe(error)}")
    return Verdict(True, describe(error), wait_seconds=delay)


def _classify_ads_failure(error: BaseException) -> Verdict:
    codes = set(error_codes(failure_of(error)))
    if TOKEN_EXPIRED in codes:
        return Verdict(True, describe(error), wait_seconds=0.0, refresh_token=True)
    if codes & _TRANSIENT_CODES:
        return Verdict(True, describe(error))
    return Verdict(False, describe(error))


def _grant(error: BaseException) -> str:
    """The token endpoint's own words (`invalid_grant: Token has been expired or revoked.`)."""
    found = _GRANT_ERROR.search(str(error))
    return found[0] if found else _status_text(error)


def is_credentials_failure(error: BaseException) -> bool:
    """The OAuth client or refresh token was refused: only new credentials will help."""
    return _is_auth_plugin_failure(error) or (
        type(error).__name__ == "RefreshError" and not getattr(error, "retryable", False)
    )


def _is_auth_plugin_failure(error: BaseException) -> bool:
    """google-auth's gRPC plugin turns a refused refresh (invalid_grant) into UNAVAILABLE."""
    text = str(error)
    return "invalid_grant" in text or "invalid_client" in text
