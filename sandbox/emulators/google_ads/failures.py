"""Google Ads API failures: gRPC status plus a serialized `GoogleAdsFailure` trailer."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

import grpc
from google.ads.googleads.v26.errors.types.errors import (
    ErrorCode,
    ErrorDetails,
    ErrorLocation,
    GoogleAdsError,
    GoogleAdsFailure,
    QuotaErrorDetails,
)
from google.protobuf import duration_pb2

FAILURE_KEY = "google.ads.googleads.v26.errors.googleadsfailure-bin"

#: The status message Google's front end sends with each code.
_STATUS_DETAILS = {
    grpc.StatusCode.INVALID_ARGUMENT: "Request contains an invalid argument.",
    grpc.StatusCode.UNAUTHENTICATED: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    grpc.StatusCode.PERMISSION_DENIED: "The caller does not have permission",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "Resource has been exhausted (e.g. check quota).",
    grpc.StatusCode.INTERNAL: "Internal error encountered.",
}


def new_request_id() -> str:
    """A request id shaped like the API's (22 URL-safe base64 characters)."""
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


@dataclass(frozen=True)
class Quota:
    """QuotaErrorDetails: which bucket ran out and how long to back off."""

    scope: str  # QuotaRateScope name: ACCOUNT or DEVELOPER
    rate_name: str
    retry_seconds: int


class AdsFailure(Exception):
    """One API error: `error_type` is the ErrorCode oneof field (e.g. `query_error`) and
    `error_name` its enum constant (e.g. `UNRECOGNIZED_FIELD`)."""

    def __init__(
        self,
        status: grpc.StatusCode,
        error_type: str,
        error_name: str,
        message: str,
        location: str | None = None,
        quota: Quota | None = None,
    ) -> None:
        super().__init__(f"{error_type}: {error_name}: {message}")
        self.status = status
        self.error_type = error_type
        self.error_name = error_name
        self.message = message
        self.location = location
        self.quota = quota

    def failure(self, request_id: str) -> GoogleAdsFailure:
        """The `GoogleAdsFailure` message the client decodes from the trailer."""
        code = ErrorCode()
        setattr(code, self.error_type, ErrorCode.meta.fields[self.error_type].enum[self.error_name])
        error = GoogleAdsError(error_code=code, message=self.message)
        if self.location:
            path = [ErrorLocation.FieldPathElement(field_name=self.location)]
            error.location = ErrorLocation(field_path_elements=path)
        if self.quota:
            error.details = ErrorDetails(quota_error_details=_quota_details(self.quota))
        return GoogleAdsFailure(errors=[error], request_id=request_id)


def _quota_details(quota: Quota) -> QuotaErrorDetails:
    return QuotaErrorDetails(
        rate_scope=QuotaErrorDetails.QuotaRateScope.__members__[quota.scope],
        rate_name=quota.rate_name,
        retry_delay=duration_pb2.Duration(seconds=quota.retry_seconds),
    )


def abort(context: grpc.ServicerContext, failure: AdsFailure, request_id: str) -> None:
    """End the call with the failure's status, trailer and request id (raises)."""
    trailer = GoogleAdsFailure.serialize(failure.failure(request_id))
    context.set_trailing_metadata(((FAILURE_KEY, trailer), ("request-id", request_id)))
    context.abort(failure.status, _STATUS_DETAILS.get(failure.status, failure.message))


def query_failure(code: str, message: str) -> AdsFailure:
    """An INVALID_ARGUMENT query error (the GAQL parser's and checker's codes)."""
    return AdsFailure(grpc.StatusCode.INVALID_ARGUMENT, "query_error", code, message)
