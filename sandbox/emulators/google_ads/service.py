"""`GoogleAdsService` Search and SearchStream over gRPC: auth headers, faults, GAQL, paging."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pandas as pd
from google.ads.googleads.v26.enums.types.summary_row_setting import SummaryRowSettingEnum
from google.ads.googleads.v26.services.types.google_ads_service import (
    SearchGoogleAdsRequest,
    SearchGoogleAdsResponse,
    SearchGoogleAdsStreamRequest,
    SearchGoogleAdsStreamResponse,
)

from sandbox.emulators.faults import EXPIRED_TOKEN, RATE_LIMIT, SERVER_ERROR, TIMEOUT, FaultInjector
from sandbox.emulators.google_ads import catalog, gaql, report, rows
from sandbox.emulators.google_ads.catalog import CheckedQuery
from sandbox.emulators.google_ads.failures import (
    AdsFailure,
    Quota,
    abort,
    new_request_id,
    query_failure,
)
from sandbox.emulators.google_ads.oauth import TokenIssuer
from sandbox.emulators.google_ads.tables import WorldData

SERVICE = "google.ads.googleads.v26.services.GoogleAdsService"
STREAM_ABORT = "stream_abort"  # data fault: server_error breaks SearchStream after one batch
_SummaryRow = SummaryRowSettingEnum.SummaryRowSetting
_WITH_SUMMARY = (_SummaryRow.SUMMARY_ROW_WITH_RESULTS, _SummaryRow.SUMMARY_ROW_ONLY)
_INVALID = grpc.StatusCode.INVALID_ARGUMENT
_UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
_DENIED = grpc.StatusCode.PERMISSION_DENIED
_PERMISSION_MESSAGE = (
    "User doesn't have permission to access customer. Note: If you're accessing a client "
    "customer, the manager's customer id must be set in the 'login-customer-id' header. "
    "See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid"
)
_TOKEN_MESSAGES = {
    "OAUTH_TOKEN_INVALID": "OAuth token in the header is not valid.",
    "OAUTH_TOKEN_EXPIRED": "OAuth token in the header has expired.",
}


@dataclass(frozen=True)
class ServiceSettings:
    """Who may call and how results are cut: batch size (stream) and fixed page size (Search)."""

    developer_token: str
    test_developer_token: str  # approved for test accounts only, like a fresh token
    manager_customer_id: str
    batch_size: int = 10_000
    page_size: int = 10_000
    retry_delay_seconds: int = 30
    daily_retry_delay_seconds: int = 6 * 3600
    disabled_customer_ids: frozenset[str] = frozenset()


class GoogleAdsService:
    """The servicer; `daily_quota_exhausted` makes every call fail until switched off."""

    def __init__(
        self,
        data: WorldData,
        issuer: TokenIssuer,
        faults: FaultInjector,
        settings: ServiceSettings,
    ) -> None:
        self.data = data
        self.issuer = issuer
        self.faults = faults
        self.settings = settings
        self.daily_quota_exhausted = False

    def handler(self) -> grpc.GenericRpcHandler:
        """The generic handler serving both RPCs with the package's own message classes."""
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "SearchStream": grpc.unary_stream_rpc_method_handler(
                    self.search_stream,
                    request_deserializer=SearchGoogleAdsStreamRequest.deserialize,
                    response_serializer=SearchGoogleAdsStreamResponse.serialize,
                ),
                "Search": grpc.unary_unary_rpc_method_handler(
                    self.search,
                    request_deserializer=SearchGoogleAdsRequest.deserialize,
                    response_serializer=SearchGoogleAdsResponse.serialize,
                ),
            },
        )

    def search_stream(
        self, request: SearchGoogleAdsStreamRequest, context: grpc.ServicerContext
    ) -> Iterator[SearchGoogleAdsStreamResponse]:
        request_id = new_request_id()
        try:
            yield from self._stream(request, context, request_id)
        except AdsFailure as failure:
            abort(context, failure, request_id)

    def search(
        self, request: SearchGoogleAdsRequest, context: grpc.ServicerContext
    ) -> SearchGoogleAdsResponse:
        request_id = new_request_id()
        try:
            return self._search(request, context, request_id)
        except AdsFailure as failure:
            abort(context, failure, request_id)
            raise  # not reached: abort raises

    # -- the two RPCs ---------------------------------------------------------------------------

    def _stream(
        self, request: SearchGoogleAdsStreamRequest, context: grpc.ServicerContext, request_id: str
    ) -> Iterator[SearchGoogleAdsStreamResponse]:
        fault = self._admit(request.customer_id, context)
        query, result = self._run(request.query, request.customer_id)
        setting = _SummaryRow(request.summary_row_setting)
        _check_summary(query, setting in _WITH_SUMMARY)
        for response in self._batches(query, result.rows, setting, request_id):
            yield response
            if fault == SERVER_ERROR:  # deferred by _admit: the stream breaks mid-way
                context.abort(grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2")
        context.set_trailing_metadata((("request-id", request_id),))

    def _search(
        self, request: SearchGoogleAdsRequest, context: grpc.ServicerContext, request_id: str
    ) -> SearchGoogleAdsResponse:
        self._admit(request.customer_id, context, streaming=False)
        if request.page_size:
            raise AdsFailure(
                _INVALID,
                "request_error",
                "PAGE_SIZE_NOT_SUPPORTED",
                "Setting the page size is not supported. Search Responses will have fixed page "
                f"size of '{self.settings.page_size}' rows.",
                location="page_size",
            )
        query, result = self._run(request.query, request.customer_id)
        options = request.search_settings
        _check_summary(query, options.return_summary_row)
        offset = self._offset(request)
        response = SearchGoogleAdsResponse.pb()(field_mask=rows.field_mask(query.select))
        if not request.validate_only:
            end = offset + self.settings.page_size
            page = result.rows.iloc[offset:end]
            response.results.extend(rows.encode(page, query.select, query.resource))
            if end < len(result.rows):
                response.next_page_token = _page_token(end, request)
            elif options.return_summary_row:
                response.summary_row.CopyFrom(rows.summary(result.rows, query.select))
        if options.return_total_results_count:
            response.total_results_count = result.total
        context.set_trailing_metadata((("request-id", request_id),))
        return SearchGoogleAdsResponse.wrap(response)

    # -- shared steps ---------------------------------------------------------------------------

    def _admit(
        self, customer_id: str, context: grpc.ServicerContext, streaming: bool = True
    ) -> str | None:
        """Authenticate, authorize, then apply this call's fault. Returns SERVER_ERROR when the
        stream should break after its first batch (the `stream_abort` data fault)."""
        metadata = {key: value for key, value in context.invocation_metadata()}
        token = self._authenticate(metadata)
        self._authorize(customer_id, metadata.get("login-customer-id"))
        if metadata.get("developer-token") == self.settings.test_developer_token:
            raise AdsFailure(
                _DENIED,
                "authorization_error",
                "DEVELOPER_TOKEN_NOT_APPROVED",
                "The developer token is only approved for use with test accounts. To access "
                "non-test accounts, apply for Basic or Standard access.",
            )
        return self._fault(token, streaming)

    def _authenticate(self, metadata: dict[str, Any]) -> str:
        developer_token = metadata.get("developer-token")
        if not developer_token:
            raise AdsFailure(
                _INVALID,
                "request_error",
                "DEVELOPER_TOKEN_PARAMETER_MISSING",
                "developer-token parameter is missing.",
            )
        if developer_token not in (
            self.settings.developer_token,
            self.settings.test_developer_token,
        ):
            raise AdsFailure(
                _UNAUTHENTICATED,
                "authentication_error",
                "DEVELOPER_TOKEN_INVALID",
                "The developer token is not valid.",
            )
        scheme, _, token = str(metadata.get("authorization", "")).partition(" ")
        if scheme != "Bearer" or not token:
            raise AdsFailure(
                _UNAUTHENTICATED,
                "authentication_error",
                "OAUTH_TOKEN_HEADER_INVALID",
                "OAuth token HTTP header is malformed.",
            )
        problem = self.issuer.problem(token)
        if problem:
            raise AdsFailure(
                _UNAUTHENTICATED, "authentication_error", problem, _TOKEN_MESSAGES[problem]
            )
        return token

    def _authorize(self, customer_id: str, login_customer_id: str | None) -> None:
        if not (customer_id.isdigit() and len(customer_id) == 10):
            raise AdsFailure(
                _INVALID,
                "request_error",
                "INVALID_CUSTOMER_ID",
                f"Invalid customer ID '{customer_id}'.",
                location="customer_id",
            )
        allowed_logins = {None, customer_id, self.settings.manager_customer_id}
        if (
            int(customer_id) not in self.data.accounts.customer_ids
            or login_customer_id not in allowed_logins
        ):
            raise AdsFailure(
                _DENIED, "authorization_error", "USER_PERMISSION_DENIED", _PERMISSION_MESSAGE
            )
        if customer_id in self.settings.disabled_customer_ids:
            raise AdsFailure(
                _DENIED,
                "authorization_error",
                "CUSTOMER_NOT_ENABLED",
                "The customer account can't be accessed because it is not yet enabled or has "
                "been deactivated.",
            )

    def _fault(self, token: str, streaming: bool) -> str | None:
        if self.daily_quota_exhausted:
            raise _quota_failure(
                "RESOURCE_EXHAUSTED",
                Quota(
                    "DEVELOPER",
                    "Number of operations for basic access",
                    self.settings.daily_retry_delay_seconds,
                ),
            )
        fault = self.faults.next_fault()
        if fault == RATE_LIMIT:
            quota = Quota(
                "ACCOUNT", "Requests per account per minute", self.settings.retry_delay_seconds
            )
            raise _quota_failure("RESOURCE_TEMPORARILY_EXHAUSTED", quota)
        if fault == SERVER_ERROR and not (streaming and self.faults.has(STREAM_ABORT)):
            raise AdsFailure(
                grpc.StatusCode.INTERNAL,
                "internal_error",
                "INTERNAL_ERROR",
                "An internal error has occurred.",
            )
        if fault == EXPIRED_TOKEN:
            self.issuer.expire(token)
            raise AdsFailure(
                _UNAUTHENTICATED,
                "authentication_error",
                "OAUTH_TOKEN_EXPIRED",
                _TOKEN_MESSAGES["OAUTH_TOKEN_EXPIRED"],
            )
        if fault == TIMEOUT:
            time.sleep(self.faults.config.slow_seconds)
        return fault

    def _run(self, text: str, customer_id: str) -> tuple[CheckedQuery, report.Result]:
        try:
            query = catalog.check(gaql.parse(text), self.data.today)
        except gaql.GaqlError as error:
            raise query_failure(error.code, error.message) from error
        result = report.run(query, int(customer_id), self.data.accounts, self.data.metrics())
        return query, result

    def _batches(
        self, query: CheckedQuery, frame: pd.DataFrame, setting: Any, request_id: str
    ) -> Iterator[SearchGoogleAdsStreamResponse]:
        """Responses of up to `batch_size` rows (at least one, even when empty); the summary
        row, when asked for, travels in the last one."""
        size = self.settings.batch_size
        if setting == _SummaryRow.SUMMARY_ROW_ONLY:
            chunks = [frame.iloc[0:0]]
        else:
            chunks = [frame.iloc[i : i + size] for i in range(0, len(frame), size)] or [frame]
        mask = rows.field_mask(query.select)
        for index, chunk in enumerate(chunks):
            response = SearchGoogleAdsStreamResponse.pb()(
                results=rows.encode(chunk, query.select, query.resource),
                field_mask=mask,
                request_id=request_id,
            )
            if setting in _WITH_SUMMARY and index == len(chunks) - 1:
                response.summary_row.CopyFrom(rows.summary(frame, query.select))
            yield SearchGoogleAdsStreamResponse.wrap(response)

    def _offset(self, request: SearchGoogleAdsRequest) -> int:
        if not request.page_token:
            return 0
        try:
            offset, fingerprint = base64.urlsafe_b64decode(request.page_token).decode().split(":")
            if fingerprint != _fingerprint(request):
                raise ValueError(fingerprint)
            return int(offset)
        except ValueError:
            raise AdsFailure(
                _INVALID,
                "request_error",
                "INVALID_PAGE_TOKEN",
                "Page token is invalid.",
                location="page_token",
            ) from None


def _page_token(offset: int, request: SearchGoogleAdsRequest) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{_fingerprint(request)}".encode()).decode()


def _fingerprint(request: SearchGoogleAdsRequest) -> str:
    """Ties a page token to its customer and query, as the API's opaque tokens are."""
    return hashlib.sha256(f"{request.customer_id}|{request.query}".encode()).hexdigest()[:16]


def _quota_failure(name: str, quota: Quota) -> AdsFailure:
    return AdsFailure(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "quota_error",
        name,
        f"Too many requests. Retry in {quota.retry_seconds} seconds.",
        quota=quota,
    )


def _check_summary(query: CheckedQuery, wanted: bool) -> None:
    if wanted and not any(field.is_metric for field in query.select):
        raise AdsFailure(
            _INVALID,
            "request_error",
            "CANNOT_RETURN_SUMMARY_ROW_FOR_REQUEST_WITHOUT_METRICS",
            "Summary row cannot be returned for a request without metrics.",
        )
