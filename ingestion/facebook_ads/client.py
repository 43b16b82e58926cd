"""Graph API calls through the official `facebook-business` client: paging, async report runs,
retries (via the shared policy), token re-reads and proactive throttling on usage headers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

import requests
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from ingestion.common.retry import RetryPolicy, Verdict, call_with_retries

from .config import MetaConfig
from .errors import ReportJobError, as_source_error, classify, regain_seconds, usage_percent

log = logging.getLogger(__name__)

Page = list[dict[str, Any]]
#: A token rejected as expired is re-read from the connection and retried at most this often
#: per call; a token that stays rejected fails the run (Meta tokens are not refreshable).
MAX_TOKEN_REREADS = 2
_DONE, _FAILED = "Job Completed", ("Job Failed", "Job Skipped")


class GraphClient:
    """One ad-account reader; `reload_token` returns the connection's current token."""

    def __init__(
        self,
        config: MetaConfig,
        reload_token: Callable[[], str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.requests = 0
        self._reload_token = reload_token
        self._sleep = sleep
        self._policy = RetryPolicy(
            attempts=config.retry_attempts, max_wait_seconds=config.max_wait_seconds
        )
        self._api = self._connect(config.access_token)

    def _connect(self, token: str) -> FacebookAdsApi:
        session = FacebookSession(
            self.config.app_id, self.config.app_secret, token, timeout=self.config.timeout_seconds
        )
        session.GRAPH = self.config.graph_url  # the class default is graph.facebook.com
        return FacebookAdsApi(session, api_version=self.config.api_version)

    def _reconnect(self) -> None:
        if self._reload_token is not None:
            self._api = self._connect(self._reload_token())
            log.warning("facebook_ads: re-read the access token from the connection")

    # -- one call ------------------------------------------------------------------------------

    def request(self, method: str, path: tuple[str, ...], params: Mapping[str, Any]) -> Any:
        """One Graph call under the retry policy; its JSON body. Raises SourceError (no secrets)."""
        name = f"facebook_ads {method} {'/'.join(path)}"
        rereads = 0

        def reread() -> None:
            nonlocal rereads
            rereads += 1
            self._reconnect()

        def classify_call(error: BaseException) -> Verdict:
            verdict = classify(error)
            if verdict.refresh_token and rereads >= MAX_TOKEN_REREADS:
                return Verdict(False, verdict.reason)
            return verdict

        def call() -> Any:
            self.requests += 1
            return self._api.call(method, path, params=dict(params))

        try:
            response = call_with_retries(
                name, call, classify_call, self._policy, reread, self._sleep
            )
        except (FacebookRequestError, requests.RequestException) as error:
            raise as_source_error(name, error, self.config.conn_id) from None
        self._throttle(name, response.headers())
        return response.json()

    def _throttle(self, name: str, headers: Mapping[str, Any]) -> None:
        """Pause before Meta throttles us: near the limit, wait as long as Meta estimates (or a
        share of the longest wait), so a long sync never hits the hard limit."""
        percent = usage_percent(headers)
        if percent < self.config.throttle_percent:
            return
        share = (percent - self.config.throttle_percent) / (101 - self.config.throttle_percent)
        hinted = regain_seconds(headers)
        pause = min(self.config.max_wait_seconds, hinted or share * self.config.max_wait_seconds)
        log.warning("%s: Meta usage at %.0f%%; pausing %.1fs", name, percent, pause)
        self._sleep(pause)

    # -- paging --------------------------------------------------------------------------------

    def pages(self, path: tuple[str, ...], params: Mapping[str, Any]) -> Iterator[Page]:
        """Cursor paging as the SDK does it: `after` until a page comes without `next`."""
        query = {**params, "limit": self.config.page_limit}
        while True:
            body = self.request("GET", path, query)
            if body.get("data"):
                yield body["data"]
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not after or "next" not in paging:
                return
            query = {**query, "after": after}

    def objects(self, account_id: str, edge: str, fields: list[str]) -> Iterator[Page]:
        """Every object of an account edge, archived and deleted ones included."""
        rule = [{"field": "effective_status", "operator": "IN", "value": _ALL_STATUSES}]
        params = {"fields": ",".join(fields), "filtering": rule}
        yield from self.pages((account_id, edge), params)

    # -- insights ------------------------------------------------------------------------------

    def insights_params(
        self, first: date, last: date, level: str, fields: tuple[str, ...]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "level": level,
            "fields": ",".join(fields),
            "time_range": {"since": first.isoformat(), "until": last.isoformat()},
            "time_increment": 1,
        }
        if level == "ad":
            params["action_attribution_windows"] = list(self.config.attribution_windows)
            params["action_breakdowns"] = ["action_type"]
        return params

    def sync_insights(self, account_id: str, params: Mapping[str, Any]) -> Iterator[Page]:
        """A sync insights query, paged (may raise TooMuchDataError)."""
        yield from self.pages((account_id, "insights"), params)

    def report(self, account_id: str, params: Mapping[str, Any]) -> Iterator[Page]:
        """An async report run: create, poll with back-off until complete, then page results.
        Raises ReportJobError when the job fails, is skipped or outlives the job timeout."""
        job_id = self.start_report(account_id, params)
        error = self.wait_for_reports([job_id])[job_id]
        if error is not None:
            raise error
        yield from self.report_pages(job_id)

    def start_report(self, account_id: str, params: Mapping[str, Any]) -> str:
        """Create an async report run (AdReportRun); its id."""
        return str(self.request("POST", (account_id, "insights"), params)["report_run_id"])

    def report_pages(self, job_id: str) -> Iterator[Page]:
        """A completed report run's rows, paged."""
        yield from self.pages((job_id, "insights"), {})

    def wait_for_reports(self, job_ids: list[str]) -> dict[str, ReportJobError | None]:
        """Poll several report runs together (one back-off for all, so concurrent jobs wait
        about as long as one) until each completes or fails; job id → None or why it failed."""
        fields = {"fields": "id,async_status,async_percent_completion"}
        started, delay = time.monotonic(), self.config.poll_seconds
        outcome: dict[str, ReportJobError | None] = {}
        pending = list(job_ids)
        while pending:
            for job_id in list(pending):
                status = self.request("GET", (job_id,), fields).get("async_status")
                if status == _DONE or status in _FAILED:
                    pending.remove(job_id)
                    failed = f"facebook_ads async report {job_id} ended {status!r}"
                    outcome[job_id] = ReportJobError(failed) if status in _FAILED else None
            if pending and time.monotonic() - started > self.config.job_timeout_seconds:
                for job_id in pending:
                    outcome[job_id] = ReportJobError(
                        f"facebook_ads async report {job_id} still running after "
                        f"{self.config.job_timeout_seconds:.0f}s"
                    )
                return outcome
            if pending:
                self._sleep(delay)
                delay = min(delay * 1.5, self.config.poll_max_seconds)
        return outcome


_ALL_STATUSES = [
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
]
