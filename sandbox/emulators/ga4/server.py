"""The Data API's REST surface: routing, auth, faults, quota, and the sandbox control endpoints."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import unquote

from sandbox.emulators.faults import (
    EXPIRED_TOKEN,
    RATE_LIMIT,
    SERVER_ERROR,
    TIMEOUT,
    FaultConfig,
    FaultInjector,
)
from sandbox.emulators.ga4 import errors
from sandbox.emulators.ga4.catalog import DIMENSIONS, METRICS
from sandbox.emulators.ga4.errors import ApiError
from sandbox.emulators.ga4.quota import PropertyQuota, QuotaLimits, request_cost
from sandbox.emulators.ga4.report import metric_type, report_response, run_report
from sandbox.emulators.ga4.request import parse_report_request
from sandbox.emulators.ga4.snapshots import Snapshots
from sandbox.emulators.http import App, Request, Response

log = logging.getLogger(__name__)

_ROUTE = re.compile(
    r"^/v1beta/properties/(?P<property>[^/:]+)"
    r"(?::(?P<verb>runReport|batchRunReports)|/(?P<metadata>metadata))$"
)
_METHODS = {"runReport": "RunReport", "batchRunReports": "BatchRunReports", None: "GetMetadata"}
MAX_BATCH = 5


@dataclass
class PropertySettings:
    """How the emulated property is set up."""

    property_id: str
    currency_code: str = "USD"
    time_zone: str = "UTC"
    access_token: str | None = None  # when set, requests must send `Authorization: Bearer <it>`
    refresh_token: str | None = None  # when set, the only refresh token `/token` accepts
    quota: QuotaLimits = field(default_factory=QuotaLimits)


class Ga4App(App):
    """Serves runReport, batchRunReports and getMetadata for one property."""

    def __init__(self, settings: PropertySettings, snapshots: Snapshots, faults: FaultConfig):
        self.settings = settings
        self.snapshots = snapshots
        self.faults = faults
        self.injector = FaultInjector(faults, "ga4")
        self.quota = PropertyQuota(settings.quota)
        self._server_errors = 0
        self.token_refreshes = 0
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return self._control(request)
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        route = _ROUTE.match(unquote(request.path))
        if route is None:
            return errors.not_found(request.path).response()
        method = _METHODS[route["verb"]]
        self.quota.enter()
        try:
            return self._api(request, route, method)
        except ApiError as error:
            if error.code >= 500:
                self.quota.server_error()
            return error.response()
        except Exception:  # an emulator bug must still look like a Google 500 to the client
            log.exception("GA4 emulator failed on %s", request.path)
            self.quota.server_error()
            return errors.internal().response()
        finally:
            self.quota.leave()

    def _api(self, request: Request, route: re.Match[str], method: str) -> Response:
        self._inject_fault(method)
        self._authenticate(request, method)
        if route["property"] != self.settings.property_id:
            raise errors.permission_denied()
        if route["metadata"]:
            return Response(200, self._metadata(request))
        self.quota.check()
        body = request.json()
        int_enums = "enum-encoding=int" in (request.param("$alt") or "")
        if route["verb"] == "runReport":
            reports, asked = [self._report(body, int_enums)], [body]
        else:
            asked = self._batch_requests(body, route["property"])
            reports = [self._report(sub, int_enums) for sub in asked]
        property_quota = self.quota.charge(sum(tokens for _, tokens in reports))
        for (report, _), sub in zip(reports, asked, strict=True):
            if sub.get("returnPropertyQuota"):
                report["propertyQuota"] = property_quota
        if route["verb"] == "runReport":
            return Response(200, reports[0][0])
        batch = [report for report, _ in reports]
        return Response(200, {"reports": batch, "kind": "analyticsData#batchRunReports"})

    def _inject_fault(self, method: str) -> None:
        fault = self.injector.next_fault()
        if fault == TIMEOUT:
            time.sleep(self.faults.slow_seconds)
        elif fault == RATE_LIMIT:
            raise errors.tokens_exhausted("hour")
        elif fault == EXPIRED_TOKEN:
            raise errors.invalid_credentials(method, "ACCESS_TOKEN_EXPIRED")
        elif fault == SERVER_ERROR:
            with self._lock:
                self._server_errors += 1
                odd = self._server_errors % 2 == 1
            raise errors.unavailable() if odd else errors.internal()

    def _authenticate(self, request: Request, method: str) -> None:
        expected = self.settings.access_token
        if expected is None:
            return
        header = request.headers.get("Authorization") or request.headers.get("authorization")
        if not header:
            raise errors.missing_credentials(method)
        if header != f"Bearer {expected}":
            raise errors.invalid_credentials(method)

    def _report(self, body: dict[str, Any], int_enums: bool) -> tuple[dict[str, Any], int]:
        connection, table, today = self.snapshots.current()
        try:
            query = parse_report_request(body, today)
            rows, row_count = run_report(connection, table, query)
        finally:
            connection.close()
        settings = self.settings
        metadata = {"currencyCode": settings.currency_code, "timeZone": settings.time_zone}
        tokens = request_cost(sum(r.days for r in query.date_ranges))
        return report_response(query, rows, row_count, metadata, int_enums), tokens

    @staticmethod
    def _batch_requests(body: dict[str, Any], property_id: str) -> list[dict[str, Any]]:
        requests = list(body.get("requests", []))
        if len(requests) > MAX_BATCH:
            raise errors.invalid_argument(
                f"Batch requests are limited to {MAX_BATCH} reports; found {len(requests)}."
            )
        for sub in requests:
            if sub.get("property") not in (None, "", f"properties/{property_id}"):
                raise errors.invalid_argument(
                    "The property in each batch request must be empty or match the batch's."
                )
        return requests

    def _metadata(self, request: Request) -> dict[str, Any]:
        int_enums = "enum-encoding=int" in (request.param("$alt") or "")
        return {
            "name": f"properties/{self.settings.property_id}/metadata",
            "dimensions": [
                {
                    "apiName": d.api_name,
                    "uiName": d.ui_name,
                    "description": d.description,
                    "category": d.category,
                }
                for d in DIMENSIONS.values()
            ],
            "metrics": [
                {
                    "apiName": m.api_name,
                    "uiName": m.ui_name,
                    "description": m.description,
                    "type": metric_type(m.type, int_enums),
                    "category": m.category,
                }
                for m in METRICS.values()
            ],
        }

    def _token(self, request: Request) -> Response:
        """Google's OAuth token endpoint, refresh_token grant: what google-auth calls on a 401."""
        form = {key: values[0] for key, values in request.form().items()}
        expected = self.settings.refresh_token
        if form.get("grant_type") != "refresh_token" or expected not in (
            None,
            form.get("refresh_token"),
        ):
            return Response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        with self._lock:
            self.token_refreshes += 1
        token = self.settings.access_token or f"ya29.sandbox-{self.token_refreshes}"
        return Response(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _control(self, request: Request) -> Response:
        """`/_sandbox/clock` moves the property's today; `/_sandbox/quota` refills the buckets."""
        if request.path == "/_sandbox/clock":
            if request.method == "POST":
                self.snapshots.set_today(date.fromisoformat(request.json()["today"]))
            return Response(200, {"today": self.snapshots.today.isoformat()})
        if request.path == "/_sandbox/quota" and request.method == "POST":
            limits = request.json().get("limits")
            self.quota.reset(QuotaLimits(**limits) if limits else None)
            return Response(200, {"limits": vars(self.quota.limits)})
        return Response(404, {"error": f"unknown control endpoint {request.path}"})
