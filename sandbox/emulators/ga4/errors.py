"""Google API error envelopes (`{"error": {code, message, status, details}}`) the client maps."""

from __future__ import annotations

from typing import Any

from sandbox.emulators.http import Response

SCHEMA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
PROPERTY_ID_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id"
_CREDENTIALS_HINT = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_SERVICE = "analyticsdata.googleapis.com"


class ApiError(Exception):
    """An error the emulator answers with, in the shape google.api_core turns into exceptions."""

    def __init__(
        self, code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details or []

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return Response(self.code, {"error": error})


def _error_info(reason: str, method: str) -> list[dict[str, Any]]:
    return [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {
                "service": _SERVICE,
                "method": f"google.analytics.data.v1beta.BetaAnalyticsData.{method}",
            },
        }
    ]


def invalid_argument(message: str) -> ApiError:
    return ApiError(400, "INVALID_ARGUMENT", message)


def unknown_field(name: str, kind: str) -> ApiError:
    """400 for a dimension or metric the property does not have (GA4's wording)."""
    return invalid_argument(
        f"Field {name} is not a valid {kind}. For a list of valid dimensions and metrics, "
        f"see {SCHEMA_URL} "
    )


def permission_denied() -> ApiError:
    return ApiError(
        403,
        "PERMISSION_DENIED",
        "User does not have sufficient permissions for this property. To learn more about "
        f"Property ID, see {PROPERTY_ID_URL}.",
    )


def missing_credentials(method: str) -> ApiError:
    return ApiError(
        401,
        "UNAUTHENTICATED",
        f"Request is missing required authentication credential. {_CREDENTIALS_HINT}",
        _error_info("CREDENTIALS_MISSING", method),
    )


def invalid_credentials(method: str, reason: str = "ACCESS_TOKEN_TYPE_UNSUPPORTED") -> ApiError:
    return ApiError(
        401,
        "UNAUTHENTICATED",
        f"Request had invalid authentication credentials. {_CREDENTIALS_HINT}",
        _error_info(reason, method),
    )


def tokens_exhausted(period: str) -> ApiError:
    """429 when the property's hourly or daily token bucket is empty (`period`: hour or day)."""
    wait = "an hour" if period == "hour" else "24 hours"
    return ApiError(
        429,
        "RESOURCE_EXHAUSTED",
        f"Exhausted property tokens per {period}. These quota tokens will return in under {wait}.",
    )


def unavailable() -> ApiError:
    return ApiError(503, "UNAVAILABLE", "The service is currently unavailable.")


def internal() -> ApiError:
    return ApiError(500, "INTERNAL", "Internal error encountered.")


def not_found(path: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"Requested entity was not found: {path}")
