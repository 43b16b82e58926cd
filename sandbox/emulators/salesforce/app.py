"""HTTP routing for the emulated org: OAuth, REST query/sObjects, Bulk 2.0, faults and API usage."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.emulators.faults import EXPIRED_TOKEN, RATE_LIMIT, SERVER_ERROR, TIMEOUT, FaultInjector
from sandbox.emulators.http import App, Request, Response

from .auth import OAuthError, Sessions
from .bulk_ingest import IngestService
from .bulk_query import QueryJobService
from .errors import ApiError
from .query_api import QueryService
from .sobjects_api import SObjectsService
from .store import Store

Handler = Callable[[Request, re.Match[str], str], Response]
_VERSION = r"/services/data/v(?P<v>\d+\.\d)"
_JOB = r"/jobs/ingest/(?P<job>[A-Za-z0-9]+)"
_QJOB = r"/jobs/query/(?P<job>[A-Za-z0-9]+)"


@dataclass(frozen=True)
class OrgLimits:
    """Batch size of REST query pages and the daily API request allowance."""

    batch_size: int = 2000
    daily_requests: int = 15_000


class SalesforceApp(App):
    """Every request: count API usage, authenticate, maybe inject a fault, then route."""

    def __init__(
        self, store: Store, sessions: Sessions, injector: FaultInjector, limits: OrgLimits
    ) -> None:
        self.sessions = sessions
        self.injector = injector
        self.limits = limits
        self.queries = QueryService(store, limits.batch_size, injector.has("duplicates"))
        self.sobjects = SObjectsService(store)
        self.ingest = IngestService(store, injector)
        self.query_jobs = QueryJobService(store)
        self.instance_url = ""
        self._usage = itertools.count(1)
        self._used = 0
        self._server_errors = itertools.count()
        self._lock = threading.Lock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (method, re.compile(_VERSION + pattern + "$", re.IGNORECASE), handler)
            for method, pattern, handler in self._route_table()
        ]

    def _route_table(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", r"/(?P<kind>query|queryAll)", self._query),
            ("GET", r"/(?:query|queryAll)/(?P<locator>01g[\w-]+)", self._query_more),
            (
                "GET",
                r"/sobjects",
                lambda r, m, t: Response(200, self.sobjects.global_describe(m["v"])),
            ),
            ("GET", r"/sobjects/(?P<obj>\w+)/describe", self._describe),
            ("GET", r"/sobjects/(?P<obj>\w+)/(?P<id>\w{15,18})", self._get_record),
            ("PATCH", r"/sobjects/(?P<obj>\w+)/(?P<id>\w{15,18})", self._update_record),
            ("PATCH", r"/composite/sobjects", self._update_collection),
            ("GET", r"/limits", self._limits),
            (
                "POST",
                r"/jobs/ingest",
                lambda r, m, t: Response(200, self.ingest.create(r.json(), m["v"])),
            ),
            ("GET", r"/jobs/ingest", lambda r, m, t: Response(200, self.ingest.list_jobs(m["v"]))),
            ("GET", _JOB, lambda r, m, t: Response(200, self.ingest.poll(m["job"], m["v"]))),
            ("PATCH", _JOB, self._set_job_state),
            ("DELETE", _JOB, self._delete_job),
            ("PUT", _JOB + r"/batches", self._upload),
            (
                "GET",
                _JOB + r"/(?P<kind>successfulResults|failedResults|unprocessedRecords)",
                self._ingest_results,
            ),
            (
                "POST",
                r"/jobs/query",
                lambda r, m, t: Response(200, self.query_jobs.create(r.json(), m["v"])),
            ),
            ("GET", _QJOB, lambda r, m, t: Response(200, self.query_jobs.poll(m["job"], m["v"]))),
            (
                "PATCH",
                _QJOB,
                lambda r, m, t: Response(200, self.query_jobs.abort(m["job"], m["v"])),
            ),
            ("GET", _QJOB + r"/results", self._query_job_results),
        ]

    def handle(self, request: Request) -> Response:
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        used = self._count()
        try:
            response = self._authorized(request, used)
        except ApiError as error:
            response = Response(error.status, error.body())
        except json.JSONDecodeError as error:
            response = Response(400, [{"message": str(error), "errorCode": "JSON_PARSER_ERROR"}])
        limit_info = {"Sforce-Limit-Info": f"api-usage={used}/{self.limits.daily_requests}"}
        return Response(
            response.status,
            response.body,
            {**(response.headers or {}), **limit_info},
            response.content_type,
        )

    def _count(self) -> int:
        with self._lock:
            self._used = next(self._usage)
            return self._used

    def _authorized(self, request: Request, used: int) -> Response:
        token = self.sessions.check(request.headers.get("Authorization"))
        if used > self.limits.daily_requests:
            raise _request_limit()
        self._inject(token)
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handler(request, match, token)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _inject(self, token: str) -> None:
        """Transport faults, answered exactly as Salesforce answers them."""
        fault = self.injector.next_fault()
        if fault == RATE_LIMIT:
            raise _request_limit()
        if fault == SERVER_ERROR:
            if next(self._server_errors) % 2 == 0:
                raise ApiError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
            raise ApiError(
                500,
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred. Please include this ErrorId if you contact "
                "support: 1850377393-52064 (-1196208931)",
            )
        if fault == EXPIRED_TOKEN:
            self.sessions.revoke(token)
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        if fault == TIMEOUT:
            time.sleep(self.injector.config.slow_seconds)

    def _token(self, request: Request) -> Response:
        try:
            return Response(200, self.sessions.grant(request.form(), self.instance_url))
        except OAuthError as error:
            return Response(400, error.body)

    def _query(self, request: Request, match: re.Match[str], token: str) -> Response:
        soql = request.param("q")
        if not soql:
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
        page = self.queries.first_page(
            soql,
            match["kind"].lower() == "queryall",
            token,
            match["v"],
            request.headers.get("Sforce-Query-Options"),
        )
        return Response(200, page)

    def _query_more(self, request: Request, match: re.Match[str], token: str) -> Response:
        return Response(200, self.queries.next_page(match["locator"], token, match["v"]))

    def _describe(self, request: Request, match: re.Match[str], token: str) -> Response:
        return Response(200, self.sobjects.describe(match["obj"], match["v"]))

    def _get_record(self, request: Request, match: re.Match[str], token: str) -> Response:
        record = self.sobjects.get(match["obj"], match["id"], request.param("fields"), match["v"])
        return Response(200, record)

    def _update_record(self, request: Request, match: re.Match[str], token: str) -> Response:
        self.sobjects.update(match["obj"], match["id"], request.json())
        return Response(204)

    def _update_collection(self, request: Request, match: re.Match[str], token: str) -> Response:
        return Response(200, self.sobjects.update_collection(request.json()))

    def _limits(self, request: Request, match: re.Match[str], token: str) -> Response:
        allowed = self.limits.daily_requests
        remaining = max(0, allowed - self._used)
        return Response(200, {"DailyApiRequests": {"Max": allowed, "Remaining": remaining}})

    def _set_job_state(self, request: Request, match: re.Match[str], token: str) -> Response:
        state = str(request.json().get("state", ""))
        return Response(200, self.ingest.set_state(match["job"], state, match["v"]))

    def _delete_job(self, request: Request, match: re.Match[str], token: str) -> Response:
        self.ingest.delete(match["job"])
        return Response(204)

    def _upload(self, request: Request, match: re.Match[str], token: str) -> Response:
        self.ingest.upload(match["job"], request.body)
        return Response(201)

    def _ingest_results(self, request: Request, match: re.Match[str], token: str) -> Response:
        text = self.ingest.results(match["job"], match["kind"].lower())
        return Response(200, text, content_type="text/csv")

    def _query_job_results(self, request: Request, match: re.Match[str], token: str) -> Response:
        text, headers = self.query_jobs.results(
            match["job"], request.param("locator"), request.param("maxRecords")
        )
        return Response(200, text, headers, content_type="text/csv")


def _request_limit() -> ApiError:
    return ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
