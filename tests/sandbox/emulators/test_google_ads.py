"""Contract tests: the official google-ads client, given only the emulator's connection, reads
exactly the world's data and sees the real API's errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pandas as pd
import pytest
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure
from google.api_core import exceptions as core
from google.oauth2.credentials import Credentials

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.google_ads import CONNECTION_ID, GoogleAdsEmulator
from sandbox.emulators.google_ads.failures import FAILURE_KEY
from sandbox.emulators.tls import ensure_certificate
from sandbox.world import World, WorldConfig, generate, platform_view

METRICS_QUERY = (
    "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.impressions, "
    "metrics.clicks, metrics.conversions FROM campaign "
    "WHERE segments.date BETWEEN '{first}' AND '{last}'"
)
Started = tuple[GoogleAdsEmulator, EmulatorInfo]


@pytest.fixture(scope="module")
def world() -> World:
    return generate(WorldConfig(scale="tiny", seed=42))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One certificate for the module: gRPC loads its default roots once per process."""
    home = tmp_path_factory.mktemp("google_ads")
    previous = os.environ.get("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")
    os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = str(ensure_certificate(home / "tls").cert)
    yield home
    if previous is None:
        os.environ.pop("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")
    else:
        os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"] = previous


@pytest.fixture(scope="module")
def shared(world: World, home: Path) -> Iterator[Started]:
    """A fault-free emulator with small batches and pages, so both are always exercised."""
    emulator = GoogleAdsEmulator(batch_size=200, page_size=4)
    info = emulator.start(world, FaultConfig(), home)
    yield emulator, info
    emulator.stop()


@pytest.fixture
def start(world: World, home: Path) -> Iterator[Callable[..., Started]]:
    running: list[GoogleAdsEmulator] = []

    def _start(faults: FaultConfig | None = None, **options: Any) -> Started:
        emulator = GoogleAdsEmulator(**options)
        running.append(emulator)
        return emulator, emulator.start(world, faults or FaultConfig(), home)

    yield _start
    for emulator in running:
        emulator.stop()


def connection(info: EmulatorInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    conn = info.connections[CONNECTION_ID]
    return conn, conn["extra"]


def ads_service(info: EmulatorInfo, **overrides: Any) -> Any:
    """GoogleAdsService built the way a connector would, from the Airflow connection only."""
    conn, extra = connection(info)
    credentials = overrides.pop("credentials", None) or Credentials(
        token=None,
        refresh_token=extra["refresh_token"],
        client_id=conn["login"],
        client_secret=conn["password"],
        token_uri=extra["token_uri"],
    )
    options = {
        "developer_token": extra["developer_token"],
        "login_customer_id": extra["login_customer_id"],
    } | overrides
    client = GoogleAdsClient(
        credentials=credentials,
        endpoint=extra["endpoint"],
        version=extra["api_version"],
        use_proto_plus=True,
        **options,
    )
    return client.get_service("GoogleAdsService")


def customer_id(info: EmulatorInfo) -> str:
    return connection(info)[1]["customer_ids"][0]


def stream_batches(info: EmulatorInfo, query: str, **overrides: Any) -> list[Any]:
    service = ads_service(info, **overrides)
    return list(service.search_stream(customer_id=customer_id(info), query=query))


def reported(world: World, today: dt.date) -> pd.DataFrame:
    return platform_view(world, "google_ads_metrics_daily", as_of=today).to_pandas()


def campaign_days(batches: list[Any]) -> pd.DataFrame:
    records = [
        {
            "campaign_id": row.campaign.id,
            "date": row.segments.date,
            "cost_micros": row.metrics.cost_micros,
            "impressions": row.metrics.impressions,
            "clicks": row.metrics.clicks,
            "conversions": row.metrics.conversions,
        }
        for batch in batches
        for row in batch.results
    ]
    return pd.DataFrame(records).set_index(["campaign_id", "date"]).sort_index()


def expected_campaign_days(
    world: World, today: dt.date, first: dt.date, last: dt.date
) -> pd.DataFrame:
    metrics = reported(world, today)
    metrics = metrics[(metrics["date"] >= first) & (metrics["date"] <= last)]
    metrics = metrics.assign(date=metrics["date"].map(dt.date.isoformat))
    columns = ["cost_micros", "impressions", "clicks", "conversions"]
    return metrics.groupby(["campaign_id", "date"])[columns].sum().sort_index()


def assert_same_metrics(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.index) == list(expected.index)
    for column in ("cost_micros", "impressions", "clicks"):
        assert got[column].tolist() == expected[column].astype(int).tolist(), column
    assert got["conversions"].tolist() == pytest.approx(expected["conversions"].tolist())


def failure_of(error: Exception) -> GoogleAdsFailure:
    """The GoogleAdsFailure trailer of a raw-status error (quota and internal errors)."""
    response = error.response  # type: ignore[attr-defined]
    trailer = dict(response.trailing_metadata())[FAILURE_KEY]
    return GoogleAdsFailure.deserialize(trailer)


def post(url: str, body: dict[str, Any], form: bool = False) -> tuple[int, dict[str, Any]]:
    data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, method="POST")) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


# -- data contract --------------------------------------------------------------------------------


def test_stream_returns_the_platform_view_sums_per_campaign_and_day(
    world: World, shared: Started
) -> None:
    emulator, info = shared
    first, last = world.config.start, world.config.end
    batches = stream_batches(info, METRICS_QUERY.format(first=first, last=last))

    assert len(batches) >= 2
    assert all(len(batch.results) <= 200 for batch in batches)
    assert len({batch.request_id for batch in batches}) == 1
    got = campaign_days(batches)
    assert_same_metrics(got, expected_campaign_days(world, emulator.today, first, last))
    assert emulator.today == world.config.end + dt.timedelta(days=1)


def test_conversions_restate_inside_the_window_on_the_sandbox_clock(
    world: World, start: Callable[..., Started]
) -> None:
    emulator, info = start()
    first, last = dt.date(2025, 6, 1), dt.date(2025, 7, 31)
    pulled_on = dt.date(2025, 7, 10)
    admin = info.endpoints["admin"]
    assert post(f"{admin}/clock", {"today": pulled_on.isoformat()}) == (
        200,
        {"today": "2025-07-10"},
    )

    early = campaign_days(stream_batches(info, METRICS_QUERY.format(first=first, last=last)))
    emulator.set_today(world.config.end + dt.timedelta(days=1))
    final = campaign_days(stream_batches(info, METRICS_QUERY.format(first=first, last=last)))

    assert_same_metrics(early, expected_campaign_days(world, pulled_on, first, last))
    assert max(early.index.get_level_values("date")) < pulled_on.isoformat()
    june = early.index.get_level_values("date") < "2025-07-01"
    assert early[june]["cost_micros"].sum() == final.loc[early[june].index, "cost_micros"].sum()
    assert early["conversions"].sum() < final.loc[early.index, "conversions"].sum()


def test_campaign_listing_equals_the_world_table(world: World, shared: Started) -> None:
    _, info = shared
    query = (
        "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type,"
        " campaign.start_date_time, campaign.end_date_time, campaign_budget.amount_micros "
        "FROM campaign ORDER BY campaign.id"
    )
    rows = list(ads_service(info).search(customer_id=customer_id(info), query=query))

    table = world.tables["google_ads_campaigns"].to_pandas().sort_values("id")
    assert [r.campaign.id for r in rows] == table["id"].tolist()
    assert [r.campaign.name for r in rows] == table["name"].tolist()
    assert [r.campaign.status.name for r in rows] == table["status"].tolist()
    channels = table["advertising_channel_type"].tolist()
    assert [r.campaign.advertising_channel_type.name for r in rows] == channels
    budgets = table["campaign_budget_amount_micros"].tolist()
    assert [r.campaign_budget.amount_micros for r in rows] == budgets
    starts = [f"{d.isoformat()} 00:00:00" for d in table["start_date"]]
    assert [r.campaign.start_date_time for r in rows] == starts
    assert rows[0].campaign.resource_name == (
        f"customers/{customer_id(info)}/campaigns/{rows[0].campaign.id}"
    )


def test_ad_group_listing_pages_through_fixed_size_pages(world: World, shared: Started) -> None:
    _, info = shared
    query = "SELECT ad_group.id, ad_group.name, ad_group.status, ad_group.campaign FROM ad_group"
    pager = ads_service(info).search(customer_id=customer_id(info), query=query)
    pages = list(pager.pages)

    table = world.tables["google_ads_ad_groups"].to_pandas().sort_values(["campaign_id", "id"])
    assert len(pages) == -(-len(table) // 4) >= 2
    assert all(len(page.results) == 4 for page in pages[:-1])
    assert not pages[-1].next_page_token
    rows = [row for page in pages for row in page.results]
    assert [r.ad_group.id for r in rows] == table["id"].tolist()
    assert [r.ad_group.name for r in rows] == table["name"].tolist()
    assert [r.ad_group.status.name for r in rows] == table["status"].tolist()
    cid = customer_id(info)
    campaigns = [f"customers/{cid}/campaigns/{c}" for c in table["campaign_id"]]
    assert [r.ad_group.campaign for r in rows] == campaigns
    assert list(pages[0].field_mask.paths) == [
        "ad_group.id",
        "ad_group.name",
        "ad_group.status",
        "ad_group.campaign",
    ]


def test_ad_listing_equals_the_world_table(world: World, shared: Started) -> None:
    _, info = shared
    query = (
        "SELECT ad_group_ad.ad.id, ad_group_ad.ad.type, ad_group_ad.status, "
        "ad_group_ad.ad.final_urls, ad_group.id, campaign.id FROM ad_group_ad"
    )
    rows = list(ads_service(info).search(customer_id=customer_id(info), query=query))

    table = world.tables["google_ads_ads"].to_pandas()
    got = {
        r.ad_group_ad.ad.id: (
            r.ad_group.id,
            r.campaign.id,
            r.ad_group_ad.status.name,
            r.ad_group_ad.ad.type_.name,
            list(r.ad_group_ad.ad.final_urls),
        )
        for r in rows
    }
    expected = {
        row.ad_id: (row.ad_group_id, row.campaign_id, row.status, row.type, list(row.final_urls))
        for row in table.itertuples()
    }
    assert len(rows) == len(table)
    assert got == expected
    first = rows[0]
    assert first.ad_group_ad.resource_name == (
        f"customers/{customer_id(info)}/adGroupAds/{first.ad_group.id}~{first.ad_group_ad.ad.id}"
    )


def test_filters_ordering_and_limit_match_pandas(world: World, shared: Started) -> None:
    emulator, info = shared
    query = (
        "SELECT ad_group.id, metrics.clicks, metrics.cost_micros FROM ad_group "
        "WHERE campaign.status IN ('ENABLED', 'PAUSED') AND metrics.clicks > 10 "
        "AND segments.date >= '2025-02-01' AND segments.date <= '2025-04-30' "
        "ORDER BY metrics.cost_micros DESC LIMIT 3"
    )
    rows = [r for b in stream_batches(info, query) for r in b.results]

    campaigns = world.tables["google_ads_campaigns"].to_pandas()
    live = campaigns[campaigns["status"].isin(["ENABLED", "PAUSED"])]["id"]
    metrics = reported(world, emulator.today)
    window = metrics["date"].between(dt.date(2025, 2, 1), dt.date(2025, 4, 30))
    metrics = metrics[window & metrics["campaign_id"].isin(live)]
    sums = metrics.groupby("ad_group_id")[["clicks", "cost_micros"]].sum()
    top = sums[sums["clicks"] > 10].sort_values("cost_micros", ascending=False).head(3)
    assert [(r.ad_group.id, r.metrics.cost_micros) for r in rows] == list(
        zip(top.index, top["cost_micros"], strict=True)
    )


def test_customer_totals_during_last_30_days(world: World, shared: Started) -> None:
    emulator, info = shared
    query = (
        "SELECT customer.id, customer.currency_code, metrics.cost_micros, metrics.all_conversions "
        "FROM customer WHERE segments.date DURING LAST_30_DAYS"
    )
    (row,) = [r for b in stream_batches(info, query) for r in b.results]

    metrics = reported(world, emulator.today)
    since = emulator.today - dt.timedelta(days=30)
    recent = metrics[metrics["date"] >= since]
    assert row.customer.id == int(customer_id(info))
    assert row.customer.currency_code == world.config.currency
    assert row.metrics.cost_micros == recent["cost_micros"].sum()
    assert row.metrics.all_conversions == pytest.approx(recent["all_conversions"].sum())


def test_search_settings_total_count_and_summary_row(world: World, shared: Started) -> None:
    emulator, info = shared
    service = ads_service(info)
    request = {
        "customer_id": customer_id(info),
        "query": "SELECT ad_group.id, metrics.impressions FROM ad_group "
        "WHERE segments.date BETWEEN '2025-01-01' AND '2025-12-31' LIMIT 5",
        "search_settings": {"return_total_results_count": True, "return_summary_row": True},
    }
    pages = list(service.search(request=request).pages)

    metrics = reported(world, emulator.today)
    assert sum(len(p.results) for p in pages) == 5
    assert pages[0].total_results_count == metrics["ad_group_id"].nunique()
    shown = sum(r.metrics.impressions for p in pages for r in p.results)
    assert pages[-1].summary_row.metrics.impressions == shown


# -- request errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT campaign.foo FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT campaign.start_date FROM campaign", "UNRECOGNIZED_FIELD"),
        ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
        ("SELECT campaign.id FROM keyword_views", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
        ("SELECT campaign.id campaign", "EXPECTED_FROM"),
        ("campaign.id FROM campaign", "EXPECTED_SELECT"),
        ("SELECT campaign.id FROM campaign WHERE campaign.name = 'x", "STRING_NOT_TERMINATED"),
        ("SELECT campaign.id FROM campaign WHERE campaign.status = 'LIVE'", "BAD_ENUM_CONSTANT"),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date > '2025/01/01'",
            "INVALID_DATE_FORMAT",
        ),
        (
            "SELECT campaign.id, segments.date FROM campaign WHERE campaign.id > 1",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
        ),
        ("SELECT campaign.id FROM campaign LIMIT 0", "LIMIT_VALUE_TOO_LOW"),
        ("SELECT campaign.id FROM campaign ORDER campaign.id", "EXPECTED_BY"),
    ],
)
def test_invalid_gaql_raises_google_ads_exception(shared: Started, query: str, code: str) -> None:
    _, info = shared
    with pytest.raises(GoogleAdsException) as raised:
        stream_batches(info, query)

    error = raised.value
    assert error.error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.failure.errors[0].error_code.query_error.name == code
    assert error.request_id and error.failure.request_id == error.request_id


def test_setting_page_size_is_rejected_as_in_v26(shared: Started) -> None:
    _, info = shared
    request = {"customer_id": customer_id(info), "query": "SELECT campaign.id FROM campaign"}
    with pytest.raises(GoogleAdsException) as raised:
        list(ads_service(info).search(request=request | {"page_size": 100}))
    assert raised.value.failure.errors[0].error_code.request_error.name == (
        "PAGE_SIZE_NOT_SUPPORTED"
    )


@pytest.mark.parametrize(
    ("overrides", "customer", "status", "error_type", "code"),
    [
        ({"developer_token": ""}, None, "INVALID_ARGUMENT", "request_error",
         "DEVELOPER_TOKEN_PARAMETER_MISSING"),
        ({"developer_token": "nope"}, None, "UNAUTHENTICATED", "authentication_error",
         "DEVELOPER_TOKEN_INVALID"),
        ({}, "123-456-7890", "INVALID_ARGUMENT", "request_error", "INVALID_CUSTOMER_ID"),
        ({}, "1234567890", "PERMISSION_DENIED", "authorization_error", "USER_PERMISSION_DENIED"),
        ({"login_customer_id": "5550001111"}, None, "PERMISSION_DENIED", "authorization_error",
         "USER_PERMISSION_DENIED"),
    ],
)  # fmt: skip
def test_access_errors_have_the_real_codes(
    shared: Started,
    overrides: dict[str, str],
    customer: str | None,
    status: str,
    error_type: str,
    code: str,
) -> None:
    _, info = shared
    service = ads_service(info, **overrides)
    with pytest.raises(GoogleAdsException) as raised:
        list(
            service.search_stream(
                customer_id=customer or customer_id(info), query="SELECT customer.id FROM customer"
            )
        )
    assert raised.value.error.code().name == status
    assert getattr(raised.value.failure.errors[0].error_code, error_type).name == code


def test_a_deactivated_customer_is_not_enabled(world: World, start: Callable[..., Started]) -> None:
    customer = str(world.tables["google_ads_campaigns"]["customer_id"][0])
    _, info = start(disabled_customer_ids=frozenset({customer}))
    with pytest.raises(GoogleAdsException) as raised:
        stream_batches(info, "SELECT customer.id FROM customer")
    assert raised.value.error.code() == grpc.StatusCode.PERMISSION_DENIED
    error_code = raised.value.failure.errors[0].error_code
    assert error_code.authorization_error.name == "CUSTOMER_NOT_ENABLED"


def test_test_only_developer_token_is_not_approved(shared: Started) -> None:
    emulator, info = shared
    with pytest.raises(GoogleAdsException) as raised:
        stream_batches(
            info,
            "SELECT customer.id FROM customer",
            developer_token=emulator.test_developer_token,
        )
    assert raised.value.error.code() == grpc.StatusCode.PERMISSION_DENIED
    error_code = raised.value.failure.errors[0].error_code
    assert error_code.authorization_error.name == "DEVELOPER_TOKEN_NOT_APPROVED"


# -- OAuth ----------------------------------------------------------------------------------------


def test_token_endpoint_refreshes_and_rejects_a_bad_refresh_token(shared: Started) -> None:
    _, info = shared
    conn, extra = connection(info)
    form = {
        "grant_type": "refresh_token",
        "client_id": conn["login"],
        "client_secret": conn["password"],
        "refresh_token": extra["refresh_token"],
    }
    status, body = post(extra["token_uri"], form, form=True)
    assert status == 200
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["access_token"].startswith("ya29.")

    status, body = post(extra["token_uri"], form | {"refresh_token": "1//revoked"}, form=True)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = post(extra["token_uri"], form | {"client_secret": "wrong"}, form=True)
    assert (status, body["error"]) == (401, "invalid_client")


def test_a_bad_refresh_token_fails_the_client_call(shared: Started) -> None:
    _, info = shared
    conn, extra = connection(info)
    credentials = Credentials(
        token=None,
        refresh_token="1//revoked",
        client_id=conn["login"],
        client_secret=conn["password"],
        token_uri=extra["token_uri"],
    )
    with pytest.raises(core.ServiceUnavailable, match="invalid_grant"):
        stream_batches(info, "SELECT customer.id FROM customer", credentials=credentials)


def test_access_tokens_expire_and_refreshing_credentials_keep_working(
    start: Callable[..., Started],
) -> None:
    _, info = start(token_lifetime_seconds=1)
    conn, extra = connection(info)
    form = {
        "grant_type": "refresh_token",
        "client_id": conn["login"],
        "client_secret": conn["password"],
        "refresh_token": extra["refresh_token"],
    }
    static = Credentials(token=post(extra["token_uri"], form, form=True)[1]["access_token"])
    query = "SELECT customer.id FROM customer"
    assert stream_batches(info, query, credentials=static)
    refreshing = ads_service(info)
    time.sleep(1.1)

    with pytest.raises(GoogleAdsException) as raised:
        stream_batches(info, query, credentials=static)
    assert raised.value.error.code() == grpc.StatusCode.UNAUTHENTICATED
    error_code = raised.value.failure.errors[0].error_code
    assert error_code.authentication_error.name == "OAUTH_TOKEN_EXPIRED"
    rows = list(refreshing.search(customer_id=customer_id(info), query=query))
    assert len(rows) == 1


# -- faults ---------------------------------------------------------------------------------------


def only(kind: str, **options: Any) -> FaultConfig:
    return FaultConfig(rate=1.0, kinds=(kind,), **options)


def test_rate_limit_is_resource_exhausted_with_a_retry_delay(
    start: Callable[..., Started],
) -> None:
    _, info = start(only("rate_limit"))
    with pytest.raises(core.ResourceExhausted) as raised:
        stream_batches(info, "SELECT customer.id FROM customer")

    (error,) = failure_of(raised.value).errors
    assert error.error_code.quota_error.name == "RESOURCE_TEMPORARILY_EXHAUSTED"
    assert error.details.quota_error_details.retry_delay.seconds == 30
    assert error.details.quota_error_details.rate_scope.name == "ACCOUNT"


def test_daily_quota_exhaustion_has_developer_scope_until_restored(shared: Started) -> None:
    _, info = shared
    admin = info.endpoints["admin"]
    assert post(f"{admin}/quota", {"daily_exhausted": True})[0] == 200
    try:
        with pytest.raises(core.ResourceExhausted) as raised:
            list(
                ads_service(info).search(
                    customer_id=customer_id(info), query="SELECT customer.id FROM customer"
                )
            )
    finally:
        post(f"{admin}/quota", {"daily_exhausted": False})

    (error,) = failure_of(raised.value).errors
    assert error.error_code.quota_error.name == "RESOURCE_EXHAUSTED"
    details = error.details.quota_error_details
    assert details.rate_scope.name == "DEVELOPER"
    assert details.retry_delay.seconds >= 3600
    assert stream_batches(info, "SELECT customer.id FROM customer")


def test_server_error_is_internal_with_internal_error(start: Callable[..., Started]) -> None:
    _, info = start(only("server_error"))
    with pytest.raises(core.InternalServerError) as raised:
        stream_batches(info, "SELECT customer.id FROM customer")
    (error,) = failure_of(raised.value).errors
    assert error.error_code.internal_error.name == "INTERNAL_ERROR"


def test_timeout_fault_exceeds_the_client_deadline(start: Callable[..., Started]) -> None:
    _, info = start(only("timeout", slow_seconds=1.0))
    service = ads_service(info)
    began = time.monotonic()
    with pytest.raises(core.DeadlineExceeded):
        list(
            service.search_stream(
                customer_id=customer_id(info), query="SELECT customer.id FROM customer", timeout=0.3
            )
        )
    assert time.monotonic() - began < 1.0


def test_expired_token_fault_is_unauthenticated(start: Callable[..., Started]) -> None:
    _, info = start(only("expired_token"))
    with pytest.raises(GoogleAdsException) as raised:
        stream_batches(info, "SELECT customer.id FROM customer")
    assert raised.value.error.code() == grpc.StatusCode.UNAUTHENTICATED
    error_code = raised.value.failure.errors[0].error_code
    assert error_code.authentication_error.name == "OAUTH_TOKEN_EXPIRED"


def test_stream_abort_breaks_the_stream_after_the_first_batch(
    world: World, start: Callable[..., Started]
) -> None:
    faults = FaultConfig(rate=1.0, kinds=("server_error",), data_faults=frozenset({"stream_abort"}))
    _, info = start(faults, batch_size=50)
    query = METRICS_QUERY.format(first=world.config.start, last=world.config.end)
    service = ads_service(info)
    stream = service.search_stream(customer_id=customer_id(info), query=query)
    received = []
    with pytest.raises(core.InternalServerError):
        for batch in stream:
            received.append(len(batch.results))
    assert received == [50]


def test_faults_are_deterministic_per_seed(start: Callable[..., Started]) -> None:
    faults = FaultConfig(rate=0.5, kinds=("rate_limit", "server_error"), seed=3)

    def outcomes(info: EmulatorInfo) -> list[str]:
        service = ads_service(info)
        seen = []
        for _ in range(8):
            try:
                list(
                    service.search(
                        customer_id=customer_id(info), query="SELECT customer.id FROM customer"
                    )
                )
                seen.append("ok")
            except core.GoogleAPICallError as error:
                seen.append(type(error).__name__)
        return seen

    first = outcomes(start(faults)[1])
    assert first == outcomes(start(faults)[1])
    assert {"ok", "ResourceExhausted", "InternalServerError"} <= set(first)
