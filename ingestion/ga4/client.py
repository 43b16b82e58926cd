"""Data API calls with the official client: credentials, offset paging, quota, retries, refresh."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Metric,
    MetricAggregation,
    MetricType,
    OrderBy,
    RunReportRequest,
    RunReportResponse,
)
from google.api_core.exceptions import GoogleAPICallError
from google.auth.exceptions import GoogleAuthError
from requests.exceptions import RequestException

from ingestion.common.retry import call_with_retries
from mdp.errors import ConfigError

from .config import Ga4Config
from .errors import (
    DailyQuotaExhaustedError,
    Ga4ApiError,
    Ga4Classifier,
    explain,
    is_auth_failure,
)
from .schema import column_name

log = logging.getLogger(__name__)

SCOPES = ("https://www.googleapis.com/auth/analytics.readonly",)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
#: How often a window is re-read from offset 0 when its rowCount changes between pages.
PAGING_RESTARTS = 3
#: A call whose token is refused is repeated after a refresh at most this often: an expired
#: token heals with a refresh, so it must never end a stream, but credentials that stay
#: refused after this many fresh tokens are wrong and the run says so.
MAX_TOKEN_REFRESHES = 8


def build_credentials(config: Ga4Config) -> Any:
    """google-auth credentials from whichever the connection holds (see README: Credentials)."""
    from google.auth.credentials import AnonymousCredentials
    from google.oauth2 import credentials as user
    from google.oauth2 import service_account

    if config.credentials_kind == "anonymous":
        return AnonymousCredentials()
    if config.keyfile is not None:
        return service_account.Credentials.from_service_account_info(config.keyfile, scopes=SCOPES)
    if config.key_path:
        return service_account.Credentials.from_service_account_file(config.key_path, scopes=SCOPES)
    if config.oauth is not None:
        return user.Credentials(
            token=config.access_token,
            refresh_token=config.oauth["refresh_token"],
            client_id=config.oauth["client_id"],
            client_secret=config.oauth["client_secret"],
            token_uri=config.oauth.get("token_uri", GOOGLE_TOKEN_URI),
            scopes=SCOPES,
        )
    if config.credentials_kind == "access_token":
        if not config.access_token:
            raise ConfigError(
                f"Airflow connection {config.conn_id!r} says credentials=access_token "
                "but its password (the token) is empty"
            )
        return user.Credentials(token=config.access_token)
    import google.auth

    credentials, _project = google.auth.default(scopes=SCOPES)
    return credentials


def _values(rows: Sequence[Any], attribute: str, index: int) -> list[str]:
    return [getattr(row, attribute)[index].value for row in rows]


def page_to_arrow(page: Any, dimensions: Sequence[str], metrics: Sequence[str]) -> pa.Table:
    """One report page as Arrow: `date` as a date, metrics typed by the API's own headers."""
    raw = RunReportResponse.pb(page)  # the raw protobuf: ~10x faster than proto-plus per value
    types = {h.name: h.type_ for h in raw.metric_headers}
    columns: dict[str, pa.Array] = {}
    for i, name in enumerate(dimensions):
        values = pa.array(_values(raw.rows, "dimension_values", i), pa.string())
        if name == "date":
            values = pc.strptime(values, format="%Y%m%d", unit="s").cast(pa.date32())
        columns[column_name(name)] = values
    for i, name in enumerate(metrics):
        integer = types.get(name) == MetricType.TYPE_INTEGER
        values = pa.array(_values(raw.rows, "metric_values", i), pa.string())
        columns[column_name(name)] = values.cast(pa.int64() if integer else pa.float64())
    return pa.table(columns)


class Ga4ReportClient:
    """One property's Data API, REST transport; every call retried per `Ga4Classifier`."""

    def __init__(
        self,
        config: Ga4Config,
        api: BetaAnalyticsDataClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not config.property_id:
            raise ConfigError(f"Airflow connection {config.conn_id!r} lacks extra 'property_id'")
        self.config = config
        self.property = f"properties/{config.property_id}"
        self.credentials = None if api is not None else build_credentials(config)
        self._api = api or BetaAnalyticsDataClient(
            credentials=self.credentials,
            transport="rest",
            client_options={"api_endpoint": config.endpoint},
        )
        self._sleep = sleep
        self.quota: Any = None
        self.requests = 0
        self.token_refreshes = 0

    def report(self, first: date, last: date) -> tuple[list[pa.Table], dict[str, float] | None]:
        """Every row of the window's report (offset paging) and the API's totals, if it has any.

        The date range stays fixed while paging and rows are ordered by every dimension, so pages
        neither overlap nor skip rows; if GA4 changes the window meanwhile (its rowCount moves),
        the window is read again from the start.
        """
        for _ in range(PAGING_RESTARTS):
            pages, totals, consistent = self._pages(first, last)
            if consistent:
                return pages, totals
            log.warning("GA4 report %s..%s changed while paging; reading it again", first, last)
        raise Ga4ApiError(
            f"GA4 property {self.config.property_id}: the report for {first}..{last} kept "
            f"changing while it was paged ({PAGING_RESTARTS} attempts)"
        )

    def _pages(self, first: date, last: date) -> tuple[list[pa.Table], dict | None, bool]:
        config = self.config
        request = RunReportRequest(
            property=self.property,
            dimensions=[Dimension(name=d) for d in config.dimensions],
            metrics=[Metric(name=m) for m in config.metrics],
            date_ranges=[DateRange(start_date=first.isoformat(), end_date=last.isoformat())],
            order_bys=[
                OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=d))
                for d in config.dimensions
            ],
            metric_aggregations=[MetricAggregation.TOTAL],
            limit=config.page_size,
            return_property_quota=True,
        )
        pages: list[pa.Table] = []
        received, row_count, totals = 0, None, None
        while True:
            request.offset = received
            page = self._run(request, f"runReport {first}..{last} offset {received}")
            if row_count is None:
                row_count, totals = page.row_count, self._totals_of(page)
                self._warn_on_sampling(page, first, last)
            elif page.row_count != row_count:
                return [], None, False
            if page.rows:
                pages.append(page_to_arrow(page, config.dimensions, config.metrics))
            received += len(page.rows)
            if received >= row_count or not page.rows:
                return pages, totals, received == row_count

    def totals(self, first: date, last: date, metrics: Sequence[str]) -> dict[str, float]:
        """The API's own totals of `metrics` over the window (one query without dimensions)."""
        request = RunReportRequest(
            property=self.property,
            metrics=[Metric(name=m) for m in metrics],
            date_ranges=[DateRange(start_date=first.isoformat(), end_date=last.isoformat())],
            return_property_quota=True,
        )
        page = self._run(request, f"runReport totals {first}..{last}")
        if not page.rows:
            return {column_name(m): 0.0 for m in metrics}
        values = page.rows[0].metric_values
        return {column_name(m): float(v.value) for m, v in zip(metrics, values, strict=True)}

    def _totals_of(self, page: Any) -> dict[str, float] | None:
        """GA4's `totals` row (metricAggregations=TOTAL); None where the API leaves it out."""
        if not page.totals:
            return None
        values = page.totals[0].metric_values
        return {
            column_name(m): float(v.value) for m, v in zip(self.config.metrics, values, strict=True)
        }

    def _run(self, request: RunReportRequest, what: str) -> Any:
        """One Data API call under the retry policy; a rejected (expired) token is refreshed
        and the call repeated, up to MAX_TOKEN_REFRESHES times, without using the policy's
        attempts (those stay for quota, 5xx and timeouts)."""
        self._stop_if_daily_quota_is_spent()
        attempts, refreshes = self.config.retry.attempts, 0
        while True:
            calls = 0

            def call() -> Any:
                nonlocal calls
                calls += 1
                return self._api.run_report(request, timeout=self.config.timeout_seconds)

            try:
                response = call_with_retries(
                    f"GA4 {what}",
                    call,
                    Ga4Classifier(),
                    replace(self.config.retry, attempts=attempts),
                    sleep=self._sleep,
                )
            except (GoogleAPICallError, GoogleAuthError, RequestException) as error:
                if not is_auth_failure(error) or refreshes >= MAX_TOKEN_REFRESHES:
                    raise explain(error, self.config.property_id) from error
                refreshes += 1
                attempts -= calls - 1  # the call refused for its token is not counted
                log.warning(
                    "GA4 %s: token rejected (401); refreshing the credentials and repeating "
                    "the call (%d/%d)",
                    what,
                    refreshes,
                    MAX_TOKEN_REFRESHES,
                )
                self._refresh()
                continue
            self.requests += 1
            self.token_refreshes += refreshes
            self._note_quota(response, what)
            return response

    def _refresh(self) -> None:
        """Get a new access token before retrying a 401 (credentials that can refresh only)."""
        from google.auth.transport.requests import Request

        if self.credentials is None or not hasattr(self.credentials, "refresh"):
            return
        try:
            self.credentials.refresh(Request())
        except GoogleAuthError as error:  # anonymous / bare tokens cannot refresh: retry as is
            log.info("GA4 credentials were not refreshed: %s", type(error).__name__)

    def _note_quota(self, response: Any, what: str) -> None:
        quota = response.property_quota
        if not RunReportResponse.pb(response).HasField("property_quota"):
            return
        self.quota = quota
        log.debug(
            "GA4 %s: tokens used %d; left today %d, this hour %d",
            what,
            quota.tokens_per_day.consumed,
            quota.tokens_per_day.remaining,
            quota.tokens_per_hour.remaining,
        )

    def quota_summary(self) -> str:
        """The last quota GA4 returned, for the log (nothing secret in it)."""
        if self.quota is None:
            return "quota not reported"
        q = self.quota
        return (
            f"tokens left today {q.tokens_per_day.remaining}, this hour "
            f"{q.tokens_per_hour.remaining}; server errors left this hour "
            f"{q.server_errors_per_project_per_hour.remaining}"
        )

    def _stop_if_daily_quota_is_spent(self) -> None:
        quota = self.quota
        if quota is not None and quota.tokens_per_day.remaining <= 0:
            raise DailyQuotaExhaustedError(
                f"GA4 property {self.config.property_id} has no tokens left today "
                f"(used {quota.tokens_per_day.consumed} in the last request); it resets at "
                "midnight Pacific time: rerun the remaining windows then"
            )

    def _warn_on_sampling(self, page: Any, first: date, last: date) -> None:
        metadata = page.metadata
        if metadata.subject_to_thresholding or metadata.data_loss_from_other_row:
            log.warning(
                "GA4 report %s..%s is thresholded or has an (other) row: it will not match "
                "the export exactly (thresholding=%s, other row=%s)",
                first,
                last,
                metadata.subject_to_thresholding,
                metadata.data_loss_from_other_row,
            )
        if metadata.sampling_metadatas:
            log.warning("GA4 report %s..%s is sampled", first, last)
