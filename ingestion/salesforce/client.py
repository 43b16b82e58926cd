"""Salesforce REST calls over simple-salesforce: OAuth refresh, describe, COUNT(), paged queryAll.

simple-salesforce's own login flows hard-code `*.salesforce.com`, so the token comes from the
connection's `token_url` (refresh_token grant) and the client runs in session-id mode. In that
mode an expired session raises instead of refreshing: calls that can simply be repeated are
retried after a re-auth; a paged query is restarted (its locator belonged to the dead session)
from the last SystemModstamp it yielded, so nothing is read twice or skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceMalformedRequest

from ingestion.common.retry import Classifier, RetryPolicy, Verdict, call_with_retries

from .errors import (
    ApiUsage,
    SalesforceAuthError,
    SalesforceQueryError,
    TokenEndpointError,
    TokenEndpointUnreachable,
    classifier,
    error_message,
    is_dead_cursor,
    unreachable_cause,
)

log = logging.getLogger(__name__)

LOGIN_TOKEN_URL = "https://login.salesforce.com/services/oauth2/token"
DEFAULT_API_VERSION = "59.0"
#: Re-auth + restart of one query at most this often before the run gives up.
MAX_RESTARTS = 20
#: Connection failures to the token endpoint (refused, unknown host, no answer) are retried
#: quickly for this long, then the run stops: a wrong token_url or a network outage does not
#: heal within a run. HTTP 5xx answers keep the full retry policy.
TOKEN_CONNECT_SECONDS = 6.0
#: Connect timeout of every request (the read timeout is the connection's timeout_seconds).
CONNECT_TIMEOUT_SECONDS = 10.0
DEFAULT_POLICY = RetryPolicy()


@dataclass(frozen=True)
class ConnectionConfig:
    """What the Airflow connection holds; secrets never appear in repr or logs."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_url: str = LOGIN_TOKEN_URL
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None
    timeout_seconds: float = 60.0

    @classmethod
    def from_connection(cls, conn: Any) -> ConnectionConfig:
        """login/password = the connected app's client id/secret; extra: refresh_token,
        token_url, api_version, ca_bundle (sandbox only), timeout_seconds."""
        extra = conn.extra_dejson
        return cls(
            client_id=conn.login or "",
            client_secret=conn.password or "",
            refresh_token=str(extra.get("refresh_token", "")),
            token_url=extra.get("token_url") or LOGIN_TOKEN_URL,
            api_version=str(extra.get("api_version") or DEFAULT_API_VERSION),
            ca_bundle=extra.get("ca_bundle"),
            timeout_seconds=float(extra.get("timeout_seconds", 60.0)),
        )


def post_refresh_grant(session: requests.Session, config: ConnectionConfig) -> requests.Response:
    """The OAuth refresh_token grant to the connection's token endpoint (callers judge the
    answer: the connector retries 5xx, the CRM sync reports it)."""
    return session.post(
        config.token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "refresh_token": config.refresh_token,
        },
        timeout=(min(CONNECT_TIMEOUT_SECONDS, config.timeout_seconds), config.timeout_seconds),
    )


def soql_datetime(value: datetime) -> str:
    """A SOQL dateTime literal with milliseconds, e.g. 2025-01-31T10:00:00.123Z."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class _Resume:
    """Where a restarted query picks up: the last SystemModstamp yielded and the Ids at it.

    The query is ordered by SystemModstamp, so a record stamped earlier than one already yielded
    is a repeat (a restart re-reads the boundary second; a page may serve a record twice)."""

    stamp: str | None = None
    ids: set[str] = field(default_factory=set)
    repeats: int = 0

    def fresh(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        for record in records:
            # REST renders stamps as fixed-width UTC text, so text order is time order
            stamp, record_id = record["SystemModstamp"], record["Id"]
            if self.stamp is not None and (
                stamp < self.stamp or (stamp == self.stamp and record_id in self.ids)
            ):
                self.repeats += 1
                continue
            if stamp != self.stamp:
                self.stamp, self.ids = stamp, set()
            self.ids.add(record_id)
            kept.append(record)
        return kept


class SalesforceClient:
    """One authenticated org; every call goes through the shared retry policy."""

    def __init__(self, config: ConnectionConfig, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.config = config
        self.policy = policy
        self.usage: ApiUsage | None = None
        self.session = requests.Session()
        # with trust_env on, REQUESTS_CA_BUNDLE would override `verify`
        self.session.trust_env = False
        if config.ca_bundle:
            self.session.verify = config.ca_bundle
        self.session.hooks["response"].append(self._note_usage)
        self._sf: Salesforce | None = None
        self._restartable = classifier(lambda: self.usage, restartable=True)
        self._paging = classifier(lambda: self.usage, restartable=False)

    def _note_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # read on every answer, errors included: simple-salesforce parses it on success only
        usage = ApiUsage.parse(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.usage = usage
            if usage.used >= 0.9 * usage.allowed:
                log.warning("Salesforce API usage at %d/%d today", usage.used, usage.allowed)

    # --- authentication -------------------------------------------------------------------
    def authenticate(self) -> None:
        """Exchange the refresh token for a session: 5xx answers are retried under the policy,
        connection failures for TOKEN_CONNECT_SECONDS; then TokenEndpointUnreachable names the
        token URL and the cause."""
        started = time.monotonic()
        url = self.config.token_url
        try:
            grant = call_with_retries(
                "salesforce token", self._grant, self._token_verdict(started), self.policy
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise TokenEndpointUnreachable(
                f"Salesforce token endpoint {url} is unreachable: {unreachable_cause(error)} "
                f"(gave up after {time.monotonic() - started:.0f} s); check the connection's "
                "extra.token_url and the network, then rerun"
            ) from None
        except TokenEndpointError as error:
            raise TokenEndpointUnreachable(
                f"Salesforce token endpoint {url} answered {error} to all {self.policy.attempts} "
                "attempts; Salesforce may be down (see status.salesforce.com), rerun later"
            ) from None
        self._sf = Salesforce(
            instance_url=grant["instance_url"],
            session_id=grant["access_token"],
            session=self.session,
            version=self.config.api_version,
            object_pairs_hook=dict,
        )

    def _token_verdict(self, started: float) -> Classifier:
        """Retry connection failures quickly until TOKEN_CONNECT_SECONDS have passed; TLS
        failures not at all (a certificate does not fix itself); the rest as any call."""

        def classify(error: BaseException) -> Verdict:
            if isinstance(error, requests.exceptions.SSLError):
                return Verdict(False, unreachable_cause(error))
            if isinstance(error, requests.ConnectionError | requests.Timeout):
                elapsed = time.monotonic() - started
                retry = elapsed < TOKEN_CONNECT_SECONDS
                return Verdict(retry, unreachable_cause(error), min(2.0, max(0.5, elapsed)))
            return self._restartable(error)

        return classify

    def _grant(self) -> dict[str, Any]:
        response = post_refresh_grant(self.session, self.config)
        if response.status_code >= 500:
            raise TokenEndpointError(f"HTTP {response.status_code}")
        body = response.json() if response.content else {}
        if response.status_code != 200 or "access_token" not in body:
            raise SalesforceAuthError(
                f"Salesforce token endpoint {self.config.token_url} refused the refresh token "
                f"grant ({body.get('error')}: {body.get('error_description')}); re-authorise the "
                f"connected app and update the connection's refresh_token"
            )
        return body

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self.authenticate()
        assert self._sf is not None
        return self._sf

    def _call(self, name: str, call: Callable[[], Any], restartable: bool = True) -> Any:
        classify = self._restartable if restartable else self._paging
        try:
            return call_with_retries(name, call, classify, self.policy, self.authenticate)
        except SalesforceMalformedRequest as error:
            if is_dead_cursor(error):
                raise
            raise SalesforceQueryError(f"{name}: {error_message(error)}") from None

    # --- API calls ------------------------------------------------------------------------
    def describe(self, sobject: str) -> dict[str, Any]:
        """The object's describe (fields with their types)."""
        return self._call(
            f"describe {sobject}",
            lambda: self.sf.restful(
                f"sobjects/{sobject}/describe", timeout=self.config.timeout_seconds
            ),
        )

    def count(self, sobject: str, where: str) -> int:
        """`SELECT COUNT()` over queryAll: the API's own row total, deleted rows included."""
        soql = f"SELECT COUNT() FROM {sobject} WHERE {where}"
        answer = self._call(
            f"count {sobject}",
            lambda: self.sf.query(soql, include_deleted=True, timeout=self.config.timeout_seconds),
        )
        return int(answer["totalSize"])

    def pages(
        self, sobject: str, fields: Mapping[str, str], where: Callable[[str | None], str]
    ) -> Iterator[list[dict[str, Any]]]:
        """queryAll pages ordered by (SystemModstamp, Id); `where(resume_stamp)` builds the
        filter ("" for none), with `SystemModstamp >= resume_stamp` after a restart."""
        resume = _Resume()
        for restart in range(MAX_RESTARTS + 1):
            condition = where(resume.stamp)
            soql = (
                f"SELECT {', '.join(fields)} FROM {sobject}"
                + (f" WHERE {condition}" if condition else "")
                + " ORDER BY SystemModstamp ASC, Id ASC"
            )
            try:
                for page in self._query_pages(sobject, soql):
                    yield resume.fresh(page)
                break
            except SalesforceError as error:
                if not is_dead_cursor(error) or restart == MAX_RESTARTS:
                    raise
                log.warning(
                    "%s: session died mid-query (%s); re-authenticating and restarting the "
                    "query from SystemModstamp >= %s (restart %d)",
                    sobject,
                    error_message(error),
                    resume.stamp or "the window start",
                    restart + 1,
                )
                self.authenticate()
        if resume.repeats:
            log.info("%s: dropped %d record(s) the API served twice", sobject, resume.repeats)

    def _query_pages(self, sobject: str, soql: str) -> Iterator[list[dict[str, Any]]]:
        timeout = self.config.timeout_seconds
        page = self._call(
            f"queryAll {sobject}",
            lambda: self.sf.query(soql, include_deleted=True, timeout=timeout),
        )
        while True:
            yield page["records"]
            if page.get("done", True):
                return
            locator = page["nextRecordsUrl"]
            page = self._call(
                f"queryAll {sobject} (next page)",
                partial(self.sf.query_more, locator, identifier_is_url=True, timeout=timeout),
                restartable=False,
            )
