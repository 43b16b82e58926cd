"""The Graph API error envelope and the real errors the emulator answers with."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from typing import Any

_RATE_LIMIT_DOC = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
_INSIGHTS_DOC = "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/"
_trace_counter = itertools.count(1)


class GraphError(Exception):
    """An error Graph answers with: HTTP status plus the `{"error": {...}}` body."""

    def __init__(
        self,
        message: str,
        code: int,
        *,
        subcode: int | None = None,
        status: int = 400,
        transient: bool = False,
        error_type: str = "OAuthException",
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.status = status
        self.transient = transient
        self.error_type = error_type
        self.user_title = user_title
        self.user_msg = user_msg

    def body(self) -> dict[str, Any]:
        """The JSON envelope, with a fresh fbtrace_id as Graph sends on every error."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
            "is_transient": self.transient,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = _trace_id()
        return {"error": error}


def _trace_id() -> str:
    digest = hashlib.sha256(str(next(_trace_counter)).encode()).hexdigest()
    return "A" + digest[:22]


def missing_token() -> GraphError:
    return GraphError("An access token is required to request this resource.", 104)


def invalid_token() -> GraphError:
    return GraphError("Invalid OAuth access token - Cannot parse access token", 190)


def expired_token(now: str) -> GraphError:
    return GraphError(
        "Error validating access token: Session has expired on Wednesday, 31-Dec-25 16:00:00"
        f" PST. The current time is {now}.",
        190,
        subcode=463,
    )


def invalid_proof() -> GraphError:
    return GraphError(
        "Invalid appsecret_proof provided in the API argument",
        100,
        error_type="GraphMethodException",
    )


def unsupported_request(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist,"
        " cannot be loaded due to missing permissions, or does not support this operation."
        " Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        subcode=33,
        error_type="GraphMethodException",
    )


def deprecated_version(version: str, current: str) -> GraphError:
    return GraphError(
        f"(#2635) You are calling a deprecated version of the Ads API ({version})."
        f" Please update to the latest version: {current}.",
        2635,
    )


def nonexisting_field(field: str, node_type: str) -> GraphError:
    return GraphError(
        f"(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})", 100
    )


def invalid_insights_field(field: str) -> GraphError:
    return GraphError(
        f"(#100) {field} is not valid for fields param. please check {_INSIGHTS_DOC}"
        " for all valid values",
        100,
    )


def invalid_enum(param: str, values: Iterable[str]) -> GraphError:
    return GraphError(
        f"(#100) {param} must be one of the following values: {', '.join(values)}", 100
    )


def invalid_parameter(detail: str) -> GraphError:
    return GraphError(f"(#100) {detail}", 100, user_title="Invalid parameter")


def beyond_retention() -> GraphError:
    return GraphError(
        "(#3018) The start date of the time range cannot be beyond 37 months from the current date",
        3018,
    )


def too_much_data() -> GraphError:
    return GraphError(
        "Please reduce the amount of data you're asking for, then retry your request",
        1,
        subcode=99,
        status=500,
    )


def report_not_ready() -> GraphError:
    return GraphError(
        "Error accessing adreport job.",
        2601,
        subcode=1815107,
        transient=True,
        user_title="Loading Async Ads Report Failed",
        user_msg="Sorry, the report cannot be loaded successfully. Please check if your job"
        " status is completed instead of failed or running before fetching the data.",
    )


def rate_limit(variant: int) -> GraphError:
    """The n-th throttle: ad-account user limit, Ads Insights BUC, then calls-per-hour, in turn."""
    too_many = "There have been too many calls from this ad-account. Wait a bit and try again."
    errors = (
        GraphError(
            "(#17) User request limit reached",
            17,
            subcode=2446079,
            transient=True,
            user_title="Ad Account Has Too Many API Calls",
            user_msg=too_many,
        ),
        GraphError(
            f"(#80000) {too_many} For more info, please refer to {_RATE_LIMIT_DOC}.",
            80000,
            subcode=2446079,
            transient=True,
        ),
        GraphError(
            "(#613) Calls to this api have exceeded the rate limit.",
            613,
            subcode=1487742,
            transient=True,
            user_title="Too Many Calls",
            user_msg=too_many,
        ),
    )
    return errors[variant % len(errors)]


def server_error(variant: int) -> GraphError:
    """HTTP 500 with Graph's generic transient errors (code 1 and code 2, in turn)."""
    if variant % 2 == 0:
        return GraphError("An unknown error has occurred.", 1, status=500, transient=True)
    return GraphError(
        "An unexpected error has occurred. Please retry your request later.",
        2,
        status=500,
        transient=True,
    )
