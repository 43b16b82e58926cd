"""HubSpot's error envelopes (`{"status":"error","message","correlationId","category"}`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sandbox.emulators.http import Response

PORTAL_ID = 24681357
AUTH_MISSING = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
#: What HubSpot reports for a private app on the default (Pro) tier; remaining counts are zero
#: because these headers are only sent with a 429 here.
RATE_LIMIT_HEADERS = {
    "X-HubSpot-RateLimit-Daily": "650000",
    "X-HubSpot-RateLimit-Daily-Remaining": "649000",
    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
    "X-HubSpot-RateLimit-Max": "190",
    "X-HubSpot-RateLimit-Remaining": "0",
    "X-HubSpot-RateLimit-Secondly": "19",
    "X-HubSpot-RateLimit-Secondly-Remaining": "0",
    "Retry-After": "1",
}


def envelope(message: str, category: str, **extra: Any) -> dict[str, Any]:
    """The standard error body, with a fresh correlation id as HubSpot sends."""
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    body.update(extra)
    return body


def error(status: int, message: str, category: str, **extra: Any) -> Response:
    return Response(status, envelope(message, category, **extra))


def missing_credentials() -> Response:
    return error(401, AUTH_MISSING, "INVALID_AUTHENTICATION")


def expired_token() -> Response:
    return error(
        401,
        "The OAuth token used to make this call expired 1 hour(s) ago.",
        "EXPIRED_AUTHENTICATION",
    )


def rate_limited() -> Response:
    body = {
        "status": "error",
        "message": "You have reached your secondly limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": "SECONDLY",
    }
    return Response(429, body, headers=RATE_LIMIT_HEADERS)


def server_error(status: int) -> Response:
    """A gateway failure; HubSpot answers these with its generic internal-error body."""
    return error(status, "internal error", "INTERNAL_ERROR")


def not_found() -> Response:
    return error(404, "resource not found", "OBJECT_NOT_FOUND")


def validation(message: str, **extra: Any) -> Response:
    return error(400, message, "VALIDATION_ERROR", **extra)


def invalid_properties(problems: list[tuple[str, str, str]]) -> Response:
    """400 for bad property values: the JSON list inside `message` plus structured `errors`.

    `problems` are (property name, error code, message) triples.
    """
    details = [
        {
            "isValid": False,
            "message": msg,
            "error": code,
            "name": name,
            "localizedErrorMessage": msg,
            "portalId": PORTAL_ID,
        }
        for name, code, msg in problems
    ]
    errors = [
        {"message": msg, "code": code, "context": {"propertyName": [name]}}
        for name, code, msg in problems
    ]
    text = "Property values were not valid: " + json.dumps(details, separators=(",", ":"))
    return validation(text, errors=errors)


def batch_too_large(limit: int) -> Response:
    return validation(
        f"The maximum number of inputs supported in a batch request is {limit}. "
        "Please reduce the number of items and try again"
    )


def item_error(category: str, message: str, ids: list[str]) -> dict[str, Any]:
    """One entry of a 207 response's `errors` list."""
    return {"status": "error", "category": category, "message": message, "context": {"ids": ids}}
