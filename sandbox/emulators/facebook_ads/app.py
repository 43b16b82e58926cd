"""The Graph API server: authentication, fault injection, usage headers and routing."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from sandbox.emulators import faults as fault_kinds
from sandbox.emulators.facebook_ads import errors, insights, objects, paging
from sandbox.emulators.facebook_ads.errors import GraphError
from sandbox.emulators.facebook_ads.insights import InsightsQuery
from sandbox.emulators.facebook_ads.params import Params, string_list
from sandbox.emulators.facebook_ads.reports import ReportRuns
from sandbox.emulators.facebook_ads.store import MetaStore
from sandbox.emulators.facebook_ads.usage import UsageMeter
from sandbox.emulators.faults import FaultConfig, FaultInjector
from sandbox.emulators.http import App, Request, Response

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")
_ACCOUNT_FIELDS = ("id", "account_id", "name", "currency", "timezone_name", "account_status")
#: Parameters that do not change an insights result (so cached rows can be reused).
_PAGING_PARAMS = ("after", "before", "limit", "access_token", "appsecret_proof", "summary")


@dataclass(frozen=True)
class Credentials:
    """The app and user token the emulator accepts."""

    app_id: str
    app_secret: str
    access_token: str

    def proof(self) -> str:
        """appsecret_proof: HMAC-SHA256 of the access token keyed by the app secret."""
        key = self.app_secret.encode()
        return hmac.new(key, self.access_token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class GraphOptions:
    """Tunables: API version, the sync-insights row ceiling, polls per async job, usage budget."""

    api_version: str = "v26.0"
    sync_row_limit: int = 5000
    polls_to_finish: int = 4
    calls_per_hour: int = 2000
    regain_minutes: int = 1


class GraphApp(App):
    """Serves the Marketing API edges for one world's Meta ad account(s)."""

    def __init__(
        self,
        store: MetaStore,
        credentials: Credentials,
        faults: FaultConfig,
        options: GraphOptions | None = None,
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.options = options or GraphOptions()
        self.injector = FaultInjector(faults, "facebook_ads")
        self.today: date = store.default_today
        self.reports = ReportRuns(self.options.polls_to_finish)
        self.usage = UsageMeter(self.options.calls_per_hour, self.options.regain_minutes)
        self._counts = {fault_kinds.RATE_LIMIT: 0, fault_kinds.SERVER_ERROR: 0}
        self._cache: OrderedDict[tuple[Any, ...], list[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def set_faults(self, config: FaultConfig) -> None:
        """Switch fault injection (e.g. off after provoking a failed job)."""
        self.injector = FaultInjector(config, "facebook_ads")

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return self._admin(request)
        query = _params(request)
        segments = [s for s in request.path.split("/") if s]
        use_case = "ads_insights" if "insights" in segments else "ads_management"
        percent = self.usage.record()
        fault = None
        try:
            self._authenticate(query)
            segments = self._strip_version(segments)
            fault = self.injector.next_fault()
            doomed = self._inject(fault, request.method, segments)
            response = Response(200, self._route(request, segments, query, doomed))
        except GraphError as error:
            response = Response(error.status, error.body())
        account = self._account_of(segments)
        headers = self.usage.headers(percent, account, use_case, fault == fault_kinds.RATE_LIMIT)
        headers["facebook-api-version"] = self.options.api_version
        return Response(response.status, response.body, headers)

    # -- checks and faults -------------------------------------------------------------------

    def _authenticate(self, query: Params) -> None:
        token = query.get("access_token")
        if not token:
            raise errors.missing_token()
        if not hmac.compare_digest(token, self.credentials.access_token):
            raise errors.invalid_token()
        proof = query.get("appsecret_proof")
        if proof is not None and not hmac.compare_digest(proof, self.credentials.proof()):
            raise errors.invalid_proof()

    def _strip_version(self, segments: list[str]) -> list[str]:
        """Drop the version segment; a path without one uses the default, as Graph does."""
        if not segments or not _VERSION.match(segments[0]):
            return segments
        if segments[0] != self.options.api_version:
            raise errors.deprecated_version(segments[0], self.options.api_version)
        return segments[1:]

    def _inject(self, fault: str | None, method: str, segments: list[str]) -> bool:
        """Raise the injected fault; True when it dooms an async job instead (server error on
        job creation: the POST succeeds and the job later ends in "Job Failed")."""
        if fault == fault_kinds.TIMEOUT:
            time.sleep(self.injector.config.slow_seconds)
        elif fault == fault_kinds.EXPIRED_TOKEN:
            raise errors.expired_token(time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime()))
        elif fault == fault_kinds.RATE_LIMIT:
            raise errors.rate_limit(self._next_variant(fault))
        elif fault == fault_kinds.SERVER_ERROR:
            if method == "POST" and segments[-1:] == ["insights"]:
                return True
            raise errors.server_error(self._next_variant(fault))
        return False

    def _next_variant(self, kind: str) -> int:
        with self._lock:
            self._counts[kind] += 1
            return self._counts[kind] - 1

    def _account_of(self, segments: list[str]) -> str:
        if segments and segments[0].startswith("act_"):
            return segments[0].removeprefix("act_")
        run = self.reports.get(segments[0]) if segments else None
        return run.account_id if run else self.store.account_ids[0]

    # -- routing -------------------------------------------------------------------------------

    def _route(self, request: Request, segments: list[str], query: Params, doomed: bool) -> Any:
        method = request.method
        node = segments[0] if segments else ""
        if len(segments) == 1 and method == "GET":
            return self._node(node, query)
        if len(segments) == 2 and method in ("GET", "POST"):
            if method == "POST" and segments[1] != "insights":
                raise errors.unsupported_request(method, node)
            return self._edge(request, node, segments[1], query, doomed)
        raise errors.unsupported_request(method, node or "/")

    def _node(self, node: str, query: Params) -> dict[str, Any]:
        fields = string_list(query, "fields")
        if node.startswith("act_"):
            account_id = self._known_account(node, "GET")
            values = {
                "id": node,
                "account_id": account_id,
                "name": f"mdp sandbox {account_id}",
                "currency": self.store.currency,
                "timezone_name": "Etc/UTC",
                "account_status": 1,
            }
            for name in fields:
                if name not in _ACCOUNT_FIELDS:
                    raise errors.nonexisting_field(name, "AdAccount")
            return {name: values[name] for name in ["id", *fields]}
        run = self.reports.get(node)
        if run is not None:
            status = run.poll()
            return {k: v for k, v in status.items() if not fields or k in fields or k == "id"}
        found = self.store.find(node)
        if found is None:
            raise errors.unsupported_request("GET", node)
        node_type, record = found
        account_id = str(record.get("account_id") or self.store.account_ids[0])
        return objects.project(objects.graph_values(record, account_id), fields, node_type)

    def _known_account(self, node: str, method: str) -> str:
        account_id = node.removeprefix("act_")
        if account_id not in self.store.account_ids:
            raise errors.unsupported_request(method, node)
        return account_id

    def _edge(
        self, request: Request, node: str, edge: str, query: Params, doomed: bool
    ) -> dict[str, Any]:
        url = f"http://{request.headers.get('Host', '127.0.0.1')}{request.path}"
        run = self.reports.get(node)
        if run is not None and edge == "insights":
            return paging.page(run.results(), query, url)
        if not node.startswith("act_"):
            raise errors.unsupported_request(request.method, node)
        account_id = self._known_account(node, request.method)
        if edge in objects.EDGE_TYPES:
            rows = objects.list_edge(self.store, account_id, edge, query)
            body = paging.page(rows, query, url)
            if query.get("summary") == "true":
                body["summary"] = {"total_count": len(rows)}
            return body
        if edge != "insights":
            raise errors.nonexisting_field(edge, "AdAccount")
        if request.method == "POST":
            return self._start_report(account_id, query, doomed)
        rows = self._insight_rows(account_id, query)
        if len(rows) > self.options.sync_row_limit:
            raise errors.too_much_data()
        return paging.page(rows, query, url)

    def _insight_rows(self, account_id: str, query: Params) -> list[dict[str, Any]]:
        """Rows of a sync query, cached so that paging through them does not re-aggregate."""
        key = (
            account_id,
            self.today,
            *sorted((k, v) for k, v in query.items() if k not in _PAGING_PARAMS),
        )
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        parsed = InsightsQuery.parse(account_id, query, self.today)
        rows = insights.run(self.store, parsed, self.today)
        with self._lock:
            self._cache[key] = rows
            while len(self._cache) > 8:
                self._cache.popitem(last=False)
        return rows

    def _start_report(self, account_id: str, query: Params, doomed: bool) -> dict[str, str]:
        parsed = InsightsQuery.parse(account_id, query, self.today)
        rows = insights.run(self.store, parsed, self.today)
        dates = (parsed.since.isoformat(), parsed.until.isoformat())
        run = self.reports.create(account_id, dates, rows, doomed)
        return {"report_run_id": run.id}

    # -- sandbox administration ----------------------------------------------------------------

    def _admin(self, request: Request) -> Response:
        """`GET|POST /_sandbox/clock` reads or sets the day the emulator thinks it is."""
        if request.path != "/_sandbox/clock":
            return Response(404, {"error": f"unknown sandbox endpoint {request.path}"})
        if request.method == "POST":
            try:
                self.today = date.fromisoformat(request.json()["today"])
            except (KeyError, TypeError, ValueError):
                return Response(400, {"error": 'expected JSON {"today": "YYYY-MM-DD"}'})
        return Response(200, {"today": self.today.isoformat()})


def _params(request: Request) -> Params:
    """Query-string and (for POST) form parameters, first value each, as the SDK sends them."""
    merged = {name: values[0] for name, values in request.query.items()}
    if request.method == "POST" and request.body:
        body = parse_qs(request.body.decode(), keep_blank_values=True)
        merged.update({name: values[0] for name, values in body.items()})
    return merged
