"""GA4 Data API emulator: the official REST client gets the world's numbers and GA4's errors."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import requests
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    BatchRunReportsRequest,
    DateRange,
    Dimension,
    Filter,
    FilterExpression,
    FilterExpressionList,
    GetMetadataRequest,
    Metric,
    NumericValue,
    OrderBy,
    RunReportRequest,
)
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import GoogleAuthError, RefreshError
from google.oauth2.credentials import Credentials

from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.ga4 import CONNECTION_ID, Ga4Emulator, Ga4Options
from sandbox.emulators.ga4.quota import QuotaLimits
from sandbox.emulators.ga4.server import Ga4App, PropertySettings
from sandbox.emulators.ga4.snapshots import Snapshots
from sandbox.emulators.http import serve
from sandbox.world import World, WorldConfig, generate, platform_view

PROPERTY = "412345678"
KEY_EVENTS = {"generate_lead", "sign_up", "purchase"}
EventsAsOf = Callable[[date], pa.Table]


@pytest.fixture(scope="module")
def world() -> World:
    return generate(WorldConfig(scale="tiny", seed=42))


@pytest.fixture(scope="module")
def events_as_of(world: World) -> EventsAsOf:
    return lambda as_of: platform_view(world, "ga4_events", as_of=as_of)


@pytest.fixture(scope="module")
def today(world: World) -> date:
    return world.config.end + timedelta(days=1)


def _start(events_as_of: EventsAsOf, faults: FaultConfig | None = None, **settings: Any) -> Any:
    """A second, differently configured property server over the same world."""
    app = Ga4App(
        PropertySettings(PROPERTY, **settings),
        Snapshots(events_as_of, date(2026, 1, 1)),
        faults or FaultConfig(),
    )
    return app, serve(app)


@pytest.fixture(scope="module")
def emulator(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    emulator = Ga4Emulator(Ga4Options(property_id=PROPERTY))
    info = emulator.start(world, FaultConfig(), tmp_path_factory.mktemp("ga4"))
    yield info
    emulator.stop()


@pytest.fixture(scope="module")
def server_url(emulator: Any) -> str:
    return emulator.endpoints["ga4 data api"]


def _client(url: str, credentials: Any = None) -> BetaAnalyticsDataClient:
    return BetaAnalyticsDataClient(
        credentials=credentials or AnonymousCredentials(),
        transport="rest",
        client_options={"api_endpoint": url},
    )


@pytest.fixture(scope="module")
def client(emulator: Any) -> BetaAnalyticsDataClient:
    """Built from the Airflow connection alone, as a connector would."""
    extra = emulator.connections[CONNECTION_ID]["extra"]
    assert emulator.connections[CONNECTION_ID]["conn_type"] == "google_cloud_platform"
    assert (extra["property_id"], extra["credentials"]) == (PROPERTY, "anonymous")
    return _client(extra["data_api_endpoint"])


# --- the independent computation the emulator must agree with ------------------------------

CONTRACT_DIMENSIONS = ["date", "sessionSourceMedium", "sessionCampaignName", "deviceCategory",
                       "country"]  # fmt: skip
CONTRACT_METRICS = ["sessions", "totalUsers", "keyEvents", "totalRevenue"]


def _frame(table: pa.Table, start: date, end: date) -> pd.DataFrame:
    decoded = {  # the world's dictionaries share one string pool, with repeated values
        name: column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    frame = pa.table(decoded).to_pandas()
    day = pd.to_datetime(frame["event_date"]).dt.date
    frame = frame[(day >= start) & (day <= end)].copy()
    for column in ("session_source", "session_medium", "session_campaign", "device_category",
                   "country"):  # fmt: skip
        frame[column] = frame[column].fillna("(not set)")
    frame["date"] = pd.to_datetime(frame["event_date"]).dt.strftime("%Y%m%d")
    frame["sessionSourceMedium"] = frame["session_source"] + " / " + frame["session_medium"]
    frame["sessionCampaignName"] = frame["session_campaign"]
    frame["deviceCategory"] = frame["device_category"]
    frame["session"] = frame["user_pseudo_id"] + "|" + frame["ga_session_id"].astype(str)
    frame["key_event"] = frame["event_name"].isin(KEY_EVENTS)
    purchase = frame["event_name"] == "purchase"
    frame["revenue_micros"] = (frame["event_value"].where(purchase, 0.0) * 1e6).round()
    return frame


def _expected(table: pa.Table, start: date, end: date, dimensions: list[str]) -> dict:
    """(dimension values) → (sessions, totalUsers, keyEvents, totalRevenue) as API strings."""
    grouped = _frame(table, start, end).groupby(dimensions)
    result = pd.DataFrame({
        "sessions": grouped["session"].nunique(),
        "totalUsers": grouped["user_pseudo_id"].nunique(),
        "keyEvents": grouped["key_event"].sum(),
        "revenue_micros": grouped["revenue_micros"].sum(),
    })  # fmt: skip
    return {
        tuple(key if isinstance(key, tuple) else (key,)): (
            str(int(sessions)), str(int(users)), str(int(key_events)),
            format((Decimal(int(micros)) / 1_000_000).normalize(), "f"),
        )
        for key, sessions, users, key_events, micros in result.itertuples()
    }  # fmt: skip


def _request(dimensions: list[str], metrics: list[str], start: str, end: str, **kw: Any):
    return RunReportRequest(
        property=f"properties/{PROPERTY}",
        dimensions=[Dimension(name=d) for d in dimensions],
        metrics=[Metric(name=m) for m in metrics],
        date_ranges=[DateRange(start_date=start, end_date=end)],
        **kw,
    )


def _as_dict(response: Any) -> dict:
    return {
        tuple(v.value for v in row.dimension_values): tuple(v.value for v in row.metric_values)
        for row in response.rows
    }


def _all_pages(client: BetaAnalyticsDataClient, request: RunReportRequest) -> list[Any]:
    """The offset loop a connector runs: until offset reaches rowCount."""
    rows: list[Any] = []
    while True:
        request.offset = len(rows)
        page = client.run_report(request)
        assert len(page.rows) <= request.limit
        rows += page.rows
        if len(rows) >= page.row_count:
            return rows


# --- contract ------------------------------------------------------------------------------


def test_paged_daily_report_equals_the_world(client, events_as_of, world, today) -> None:
    start = world.config.start
    request = _request(CONTRACT_DIMENSIONS, CONTRACT_METRICS, start.isoformat(), "yesterday",
                       limit=300)  # fmt: skip
    first = client.run_report(request)
    rows = _all_pages(client, request)

    expected = _expected(events_as_of(today), start, world.config.end, CONTRACT_DIMENSIONS)
    assert first.row_count == len(expected) > 3 * request.limit
    got = {tuple(v.value for v in r.dimension_values): tuple(v.value for v in r.metric_values)
           for r in rows}  # fmt: skip
    assert len(got) == len(rows)  # no row served twice across pages
    assert got == expected
    assert [h.name for h in first.dimension_headers] == CONTRACT_DIMENSIONS
    assert [(h.name, h.type_.name) for h in first.metric_headers] == [
        ("sessions", "TYPE_INTEGER"), ("totalUsers", "TYPE_INTEGER"),
        ("keyEvents", "TYPE_INTEGER"), ("totalRevenue", "TYPE_CURRENCY"),
    ]  # fmt: skip
    assert (first.metadata.currency_code, first.kind) == ("USD", "analyticsData#runReport")


# A busy mid-year window: the last days of December hold too few sessions in the tiny world.
def test_recent_days_are_incomplete_until_the_clock_moves(server_url, events_as_of) -> None:
    client, window = _client(server_url), ("2025-06-15", "2025-06-30")
    request = _request(["date"], ["eventCount", "sessions"], *window)
    reports = {}
    for as_of in (date(2025, 6, 29), date(2025, 7, 1), date(2025, 7, 10)):
        _post(server_url, "/_sandbox/clock", {"today": as_of.isoformat()})
        reports[as_of] = _as_dict(client.run_report(request))
    _post(server_url, "/_sandbox/clock", {"today": "2026-01-01"})
    for as_of, report in reports.items():
        frame = _frame(events_as_of(as_of), *map(date.fromisoformat, window))
        by_day = frame.groupby("date")
        assert report == {
            (day,): (str(events), str(sessions))
            for day, events, sessions in zip(
                by_day.size().index, by_day.size(), by_day["session"].nunique(), strict=True
            )
        }
    assert "20250629" not in {k[0] for k in reports[date(2025, 6, 29)]}
    # GA4 keeps processing: the last days grow when pulled later, older days do not change.
    settled, later = reports[date(2025, 7, 1)], reports[date(2025, 7, 10)]
    assert settled[("20250615",)] == later[("20250615",)]
    last_days = [(f"202506{d}",) for d in (28, 29, 30)]
    assert sum(int(settled.get(d, ("0",))[0]) for d in last_days) < sum(
        int(later.get(d, ("0",))[0]) for d in last_days
    )


def test_multiple_date_ranges_add_the_date_range_dimension(client, events_as_of, today) -> None:
    request = RunReportRequest(
        property=f"properties/{PROPERTY}",
        dimensions=[Dimension(name="deviceCategory")],
        metrics=[Metric(name="sessions")],
        date_ranges=[DateRange(start_date="2025-03-01", end_date="2025-03-31"),
                     DateRange(start_date="2025-04-01", end_date="2025-04-30", name="april")],
    )  # fmt: skip
    response = client.run_report(request)
    assert [h.name for h in response.dimension_headers] == ["deviceCategory", "dateRange"]
    table = events_as_of(today)
    for name, start, end in (("date_range_0", date(2025, 3, 1), date(2025, 3, 31)),
                             ("april", date(2025, 4, 1), date(2025, 4, 30))):  # fmt: skip
        expected = _frame(table, start, end).groupby("deviceCategory")["session"].nunique()
        got = {k[0]: v[0] for k, v in _as_dict(response).items() if k[1] == name}
        assert got == {device: str(n) for device, n in expected.items()}


def test_dimension_filters_follow_ga4_semantics(client, events_as_of, world, today) -> None:
    """Case-insensitive by default; and/or/not groups; in-list; contains; begins-with."""
    frame = _frame(events_as_of(today), world.config.start, world.config.end)
    not_direct = FilterExpression(not_expression=FilterExpression(filter=Filter(
        field_name="sessionSource",
        string_filter=Filter.StringFilter(match_type="EXACT", value="(DIRECT)"))))  # fmt: skip
    countries = FilterExpression(filter=Filter(
        field_name="country",
        in_list_filter=Filter.InListFilter(values=["germany", "United States"])))  # fmt: skip
    medium = Filter.StringFilter(match_type="CONTAINS", value="PAID")
    campaign = Filter.StringFilter(match_type="BEGINS_WITH", value="(org")
    either = FilterExpression(or_group=FilterExpressionList(expressions=[
        FilterExpression(filter=Filter(field_name="sessionMedium", string_filter=medium)),
        FilterExpression(filter=Filter(field_name="sessionCampaignName", string_filter=campaign)),
    ]))  # fmt: skip
    expression = FilterExpression(
        and_group=FilterExpressionList(expressions=[not_direct, countries, either])
    )
    response = client.run_report(_request(
        ["sessionSource"], ["eventCount"], "2025-01-01", "yesterday", dimension_filter=expression
    ))  # fmt: skip
    kept = frame[(frame["session_source"] != "(direct)")
                 & frame["country"].isin(["Germany", "United States"])
                 & (frame["session_medium"].str.contains("paid")
                    | frame["sessionCampaignName"].str.startswith("(org"))]  # fmt: skip
    expected = {(s,): (str(n),) for s, n in kept.groupby("session_source").size().items()}
    assert _as_dict(response) == expected
    assert {"facebook", "instagram", "bing"} <= {k[0] for k in expected}


def test_metric_filter_and_order_by(client, events_as_of, world, today) -> None:
    frame = _frame(events_as_of(today), world.config.start, world.config.end)
    sessions = frame.groupby("country")["session"].nunique()
    threshold = int(sessions.median())
    response = client.run_report(_request(
        ["country"], ["sessions"], "2025-01-01", "yesterday",
        metric_filter=FilterExpression(filter=Filter(
            field_name="sessions", numeric_filter=Filter.NumericFilter(
                operation="GREATER_THAN_OR_EQUAL", value=NumericValue(int64_value=threshold)))),
        order_bys=[OrderBy(metric=OrderBy.MetricOrderBy(metric_name="sessions"), desc=True)],
    ))  # fmt: skip
    kept = sessions[sessions >= threshold]
    ordered = kept.reset_index().sort_values(["session", "country"], ascending=[False, True])
    assert [(r.dimension_values[0].value, r.metric_values[0].value) for r in response.rows] == [
        (country, str(n)) for country, n in ordered.itertuples(index=False)
    ]


def test_batch_run_reports_equals_single_reports(client) -> None:
    singles = [_request(["date"], ["sessions", "newUsers"], "2025-06-01", "2025-06-30"),
               _request(["sessionDefaultChannelGroup"], ["keyEvents", "engagedSessions"],
                        "2025-01-01", "yesterday")]  # fmt: skip
    batch = client.batch_run_reports(BatchRunReportsRequest(
        property=f"properties/{PROPERTY}",
        requests=[RunReportRequest(dimensions=r.dimensions, metrics=r.metrics,
                                   date_ranges=r.date_ranges) for r in singles],
    ))  # fmt: skip
    assert batch.kind == "analyticsData#batchRunReports"
    assert [_as_dict(r) for r in batch.reports] == [_as_dict(client.run_report(r)) for r in singles]
    channels = {k[0] for k in _as_dict(batch.reports[1])}
    assert channels == {"Paid Search", "Paid Social", "Organic Search", "Direct", "Email",
                        "Referral", "Organic Social"}  # fmt: skip


def test_get_metadata_lists_the_catalogue(client) -> None:
    metadata = client.get_metadata(GetMetadataRequest(name=f"properties/{PROPERTY}/metadata"))
    assert {"date", "sessionSourceMedium", "sessionDefaultChannelGroup"} <= {
        d.api_name for d in metadata.dimensions
    }
    types = {m.api_name: m.type_.name for m in metadata.metrics}
    assert types["totalRevenue"] == "TYPE_CURRENCY" and types["sessions"] == "TYPE_INTEGER"


def test_property_quota_decrements(client) -> None:
    request = _request(["date"], ["sessions"], "2025-01-01", "2025-01-31",
                       return_property_quota=True)  # fmt: skip
    first = client.run_report(request).property_quota
    second = client.run_report(request).property_quota
    assert first.tokens_per_hour.consumed == second.tokens_per_hour.consumed == 1
    assert second.tokens_per_day.remaining == first.tokens_per_day.remaining - 1
    assert second.tokens_per_hour.remaining == first.tokens_per_hour.remaining - 1


# --- errors --------------------------------------------------------------------------------


def _status(error: pytest.ExceptionInfo) -> str:
    return error.value.response.json()["error"]["status"]


def test_unknown_dimension_and_metric_are_invalid_argument(client) -> None:
    with pytest.raises(exceptions.BadRequest) as error:
        client.run_report(_request(["sessionSourceMediumm"], ["sessions"], "7daysAgo", "today"))
    assert _status(error) == "INVALID_ARGUMENT"
    assert error.value.response.json()["error"]["message"].startswith(
        "Field sessionSourceMediumm is not a valid dimension. For a list of valid dimensions"
    )
    with pytest.raises(exceptions.BadRequest, match="Field conversion is not a valid metric"):
        client.run_report(_request(["date"], ["conversion"], "7daysAgo", "today"))


def test_unknown_property_is_permission_denied(server_url) -> None:
    request = _request(["date"], ["sessions"], "7daysAgo", "today")
    request.property = "properties/999"
    with pytest.raises(exceptions.Forbidden, match="sufficient permissions") as error:
        _client(server_url).run_report(request)
    assert _status(error) == "PERMISSION_DENIED"


def _refreshable(url: str, token: str | None = None) -> Credentials:
    """User credentials as a connector holds them; google-auth refreshes them on a 401."""
    return Credentials(token=token, refresh_token="1//sandbox", client_id="id",
                       client_secret="secret", token_uri=f"{url}/token")  # fmt: skip


def test_token_is_checked_when_required(events_as_of) -> None:
    app, running = _start(events_as_of, access_token="ya29.good", refresh_token="1//sandbox")
    request = _request(["date"], ["sessions"], "7daysAgo", "today")
    url = f"{running.url}/v1beta/properties/{PROPERTY}:runReport"
    body = {"metrics": [{"name": "sessions"}], "dateRanges": [{"startDate": "today",
                                                              "endDate": "today"}]}  # fmt: skip
    try:
        missing = requests.post(url, json=body, timeout=5)
        wrong = requests.post(url, json=body, headers={"Authorization": "Bearer x"}, timeout=5)
        assert (missing.status_code, wrong.status_code) == (401, 401)
        assert [r.json()["error"]["details"][0]["reason"] for r in (missing, wrong)] == [
            "CREDENTIALS_MISSING", "ACCESS_TOKEN_TYPE_UNSUPPORTED"]  # fmt: skip
        # A static token cannot be refreshed: google-auth raises before the client sees the 401.
        with pytest.raises(RefreshError):
            _client(running.url, Credentials(token="ya29.stale")).run_report(request)
        # A stale token with a refresh token: refreshed at token_uri, then the call succeeds.
        assert _client(running.url, _refreshable(running.url, "ya29.stale")).run_report(request)
        assert app.token_refreshes == 1
        revoked = Credentials(token="ya29.stale", refresh_token="1//revoked", client_id="id",
                              client_secret="s", token_uri=f"{running.url}/token")  # fmt: skip
        with pytest.raises(RefreshError, match="invalid_grant"):
            _client(running.url, revoked).run_report(request)
    finally:
        running.stop()


def test_daily_quota_exhaustion(events_as_of) -> None:
    _app, running = _start(events_as_of, quota=QuotaLimits(tokens_per_day=2))
    client = _client(running.url)
    request = _request(["date"], ["sessions"], "7daysAgo", "today")
    try:
        client.run_report(request)
        client.run_report(request)
        with pytest.raises(exceptions.TooManyRequests, match="tokens per day") as error:
            client.run_report(request)
        assert _status(error) == "RESOURCE_EXHAUSTED"
        _post(running.url, "/_sandbox/quota", {})
        assert client.run_report(request).row_count
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("kind", "exception", "status", "text"),
    [
        ("rate_limit", exceptions.TooManyRequests, "RESOURCE_EXHAUSTED", "tokens per hour"),
        ("server_error", exceptions.ServiceUnavailable, "UNAVAILABLE", "currently unavailable"),
    ],
)
def test_injected_faults_surface_as_the_real_errors(events_as_of, kind, exception, status, text):
    _app, running = _start(events_as_of, FaultConfig(rate=1.0, kinds=(kind,), seed=3))
    try:
        with pytest.raises(exception, match=text) as error:
            _client(running.url).run_report(_request(["date"], ["sessions"], "7daysAgo", "today"))
        assert _status(error) == status
        if kind == "server_error":  # the next one is a 500 INTERNAL
            with pytest.raises(exceptions.InternalServerError):
                _client(running.url).run_report(_request(["date"], ["sessions"], "today", "today"))
    finally:
        running.stop()


def test_expired_token_fault_is_a_401_after_refreshing(events_as_of) -> None:
    """Every call faulted: google-auth refreshes twice, then the client raises Unauthorized."""
    app, running = _start(events_as_of, FaultConfig(rate=1.0, kinds=("expired_token",)))
    client = _client(running.url, _refreshable(running.url, "ya29.old"))
    try:
        with pytest.raises(exceptions.Unauthorized, match="invalid authentication") as error:
            client.run_report(_request(["date"], ["sessions"], "7daysAgo", "today"))
        assert (_status(error), error.value.reason) == ("UNAUTHENTICATED", "ACCESS_TOKEN_EXPIRED")
        assert app.token_refreshes == 2
    finally:
        running.stop()


def test_timeout_fault_delays_the_answer(events_as_of) -> None:
    faults = FaultConfig(rate=1.0, kinds=("timeout",), slow_seconds=0.6)
    _app, running = _start(events_as_of, faults)
    client = _client(running.url)
    request = _request(["date"], ["sessions"], "7daysAgo", "today")
    try:
        with pytest.raises(requests.exceptions.Timeout):
            client.run_report(request, timeout=0.2)
        began = time.monotonic()
        assert client.run_report(request).row_count
        assert time.monotonic() - began >= 0.6
    finally:
        running.stop()


def test_faults_are_deterministic_per_seed(events_as_of) -> None:
    def outcomes() -> list[str]:
        _app, running = _start(events_as_of, FaultConfig(rate=0.5, seed=11, slow_seconds=0.01))
        client, seen = _client(running.url), []
        try:
            for _ in range(12):
                try:
                    client.run_report(_request(["date"], ["sessions"], "today", "today"))
                    seen.append("ok")
                except (exceptions.GoogleAPICallError, GoogleAuthError) as error:
                    seen.append(type(error).__name__)
        finally:
            running.stop()
        return seen

    first = outcomes()
    assert first == outcomes()
    assert "ok" in first and len(set(first)) > 2


def _post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url + path, json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())
