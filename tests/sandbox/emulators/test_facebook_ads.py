"""Contract tests: the unmodified facebook-business SDK against the Meta Marketing API emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.adobjects.campaign import Campaign
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.facebook_ads import CONNECTION_ID, FacebookAdsEmulator, GraphOptions
from sandbox.emulators.facebook_ads.store import MetaStore
from sandbox.emulators.faults import FaultConfig
from sandbox.world import World, WorldConfig, generate

ALL_STATUSES = ["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"]
WINDOWS = ["7d_click", "1d_view"]
METRICS = ["spend", "impressions", "clicks", "reach", "inline_link_clicks"]


@pytest.fixture(scope="module")
def world() -> World:
    return generate(WorldConfig(scale="tiny", seed=42))


@pytest.fixture(scope="module")
def store(world: World) -> MetaStore:
    return MetaStore.from_world(world)


@contextmanager
def _running(
    store: MetaStore, faults: FaultConfig | None = None, **options: Any
) -> Iterator[tuple[FacebookAdsEmulator, EmulatorInfo]]:
    emulator = FacebookAdsEmulator(GraphOptions(**options))
    info = emulator.start_on(store, faults or FaultConfig(), seed=7)
    try:
        yield emulator, info
    finally:
        emulator.stop()


@pytest.fixture(scope="module")
def served(store: MetaStore) -> Iterator[tuple[FacebookAdsEmulator, EmulatorInfo]]:
    with _running(store, sync_row_limit=2000) as running:
        yield running


def _extra(info: EmulatorInfo) -> dict[str, Any]:
    return info.connections[CONNECTION_ID]["extra"]


def _account(info: EmulatorInfo, timeout: float | None = None, **overrides: str) -> AdAccount:
    """An AdAccount reached exactly as a connector would: endpoint + credentials only."""
    extra = {**_extra(info), **overrides}
    session = FacebookSession(
        extra["app_id"], extra["app_secret"], extra["access_token"], timeout=timeout
    )
    session.GRAPH = extra["graph_url"]
    api = FacebookAdsApi(session, api_version=extra["api_version"])
    return AdAccount(extra["account_id"][0], api=api)


@pytest.fixture(scope="module")
def account(served: tuple[FacebookAdsEmulator, EmulatorInfo]) -> AdAccount:
    return _account(served[1])


def _busy_day(store: MetaStore) -> date:
    """The last day with conversions (the tiny world has few, so windows end there)."""
    frame = store.insights(store.default_today)
    columns = [f"{a}_{w}" for a in ("lead", "purchase") for w in WINDOWS]
    return max(frame.loc[frame[columns].sum(axis=1) > 0, "date"])


def _window(store: MetaStore) -> tuple[date, date]:
    """40 days ending on the last day with conversions."""
    busy = _busy_day(store)
    return busy - timedelta(days=39), busy


def _expected(store: MetaStore, as_of: date, since: date, until: date) -> pd.DataFrame:
    view = store.insights_view(as_of)
    frame = view.to_pandas() if hasattr(view, "to_pandas") else pd.DataFrame(view)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame.loc[(frame["date"] >= since) & (frame["date"] <= until)]


def _actions(rows: list[dict[str, Any]], field: str, action_type: str, key: str) -> float:
    return sum(
        float(entry.get(key, 0))
        for row in rows
        for entry in row.get(field, [])
        if entry["action_type"] == action_type
    )


def _insight_params(since: date, until: date, **extra: Any) -> dict[str, Any]:
    return {
        "level": "ad",
        "time_range": {"since": since.isoformat(), "until": until.isoformat()},
        "time_increment": 1,
        "action_attribution_windows": WINDOWS,
        **extra,
    }


INSIGHT_FIELDS = ["ad_id", "campaign_id", *METRICS, "actions", "action_values"]


def _assert_equal_to_world(rows: list[dict[str, Any]], expected: pd.DataFrame) -> None:
    assert len(rows) == len(expected)
    keys = {(row["ad_id"], row["date_start"]) for row in rows}
    assert keys == {(r.ad_id, r.date.isoformat()) for r in expected.itertuples()}
    assert sum(float(row["spend"]) for row in rows) == pytest.approx(expected["spend"].sum())
    for metric in METRICS[1:]:
        assert sum(int(row[metric]) for row in rows) == expected[metric].sum(), metric
    for action in ("lead", "purchase"):
        for window in WINDOWS:
            got = _actions(rows, "actions", action, window)
            assert got == expected[f"{action}_{window}"].sum(), (action, window)
            value = _actions(rows, "action_values", action, window)
            assert value == pytest.approx(expected[f"{action}_value_{window}"].sum())
        default = expected[f"{action}_7d_click"] + expected[f"{action}_1d_view"]
        assert _actions(rows, "actions", action, "value") == default.sum()


def test_start_serves_the_world_behind_a_masked_connection(world: World, tmp_path: Any) -> None:
    emulator = FacebookAdsEmulator()
    info = emulator.start(world, FaultConfig(), tmp_path)
    try:
        connection = info.connections[CONNECTION_ID]
        assert connection["conn_type"] == "facebook_social"
        assert set(connection) == {"conn_type", "extra"}  # secrets only in masked extra keys
        account = _account(info)
        assert account.api_get(fields=["account_id"])["account_id"] == str(
            world.tables["meta_campaigns"]["account_id"][0]
        )
    finally:
        emulator.stop()


# -- objects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edge", "table"),
    [("get_campaigns", "campaigns"), ("get_ad_sets", "adsets"), ("get_ads", "ads")],
)
def test_listings_page_through_and_equal_the_world(
    account: AdAccount, store: MetaStore, edge: str, table: str
) -> None:
    records = getattr(store, table)
    cursor = getattr(account, edge)(
        fields=["name", "status", "effective_status", "updated_time"],
        params={"limit": 2, "effective_status": ALL_STATUSES},
    )
    got = list(cursor)
    assert len(records) > 2  # more than one page
    assert cursor.total() == len(records)
    assert {(o["id"], o["name"], o["status"]) for o in got} == {
        (r["id"], r["name"], r["status"]) for r in records
    }
    updated = {r["id"]: r["updated_time"].strftime("%Y-%m-%dT%H:%M:%S+0000") for r in records}
    assert all(o["updated_time"] == updated[o["id"]] for o in got)


def test_campaign_fields_follow_graph_conventions(account: AdAccount, store: MetaStore) -> None:
    fields = ["name", "objective", "daily_budget", "start_time", "stop_time", "configured_status"]
    got = {
        c["id"]: c
        for c in account.get_campaigns(fields=fields, params={"effective_status": ALL_STATUSES})
    }
    for record in store.campaigns:
        campaign = got[record["id"]]
        assert campaign["objective"] == record["objective"]
        assert campaign["configured_status"] == record["status"]
        if record["daily_budget"] is None:
            assert "daily_budget" not in campaign  # Graph leaves out empty fields
        else:
            assert campaign["daily_budget"] == str(record["daily_budget"])  # minor units
        assert campaign["start_time"].endswith("+0000")
        assert ("stop_time" in campaign) == (record["stop_time"] is not None)


def test_archived_objects_are_listed_only_on_request(account: AdAccount, store: MetaStore) -> None:
    default = {c["id"] for c in account.get_campaigns(fields=["status"])}
    live = {r["id"] for r in store.campaigns if r["status"] not in ("ARCHIVED", "DELETED")}
    assert default == live
    filtered = account.get_campaigns(
        fields=["status"],
        params={
            "filtering": [{"field": "effective_status", "operator": "IN", "value": ["ARCHIVED"]}]
        },
    )
    assert {c["id"] for c in filtered} == {
        r["id"] for r in store.campaigns if r["status"] == "ARCHIVED"
    }


def test_single_object_read(account: AdAccount, store: MetaStore) -> None:
    record = store.campaigns[0]
    campaign = Campaign(record["id"], api=account.get_api()).api_get(fields=["name", "status"])
    assert (campaign["name"], campaign["status"]) == (record["name"], record["status"])


# -- insights -----------------------------------------------------------------------------------


def test_sync_daily_ad_insights_page_through_and_equal_platform_view(
    account: AdAccount, store: MetaStore
) -> None:
    since, until = _window(store)
    cursor = account.get_insights(
        fields=INSIGHT_FIELDS, params=_insight_params(since, until, limit=100)
    )
    rows = [dict(row) for row in cursor]
    expected = _expected(store, store.default_today, since, until)
    assert len(expected) > 100  # several pages
    _assert_equal_to_world(rows, expected)


def test_async_report_progresses_and_equals_platform_view(
    account: AdAccount, store: MetaStore
) -> None:
    since, until = _window(store)
    job = account.get_insights(
        fields=INSIGHT_FIELDS, params=_insight_params(since, until), is_async=True
    )
    assert isinstance(job, AdReportRun)
    statuses = []
    while not statuses or statuses[-1] != "Job Completed":
        job = job.api_get()
        statuses.append(job[AdReportRun.Field.async_status])
        assert len(statuses) < 10
    assert statuses[0] == "Job Not Started" and "Job Running" in statuses
    assert job[AdReportRun.Field.async_percent_completion] == 100
    rows = [dict(row) for row in job.get_result(params={"limit": 250})]
    _assert_equal_to_world(rows, _expected(store, store.default_today, since, until))


def test_reading_an_unfinished_report_is_the_transient_2601(account: AdAccount) -> None:
    job = account.get_insights(fields=["spend"], params={"date_preset": "last_7d"}, is_async=True)
    with pytest.raises(FacebookRequestError) as raised:
        list(job.get_result())
    error = raised.value
    assert (error.api_error_code(), error.api_error_subcode()) == (2601, 1815107)
    assert error.api_transient_error() is True


def test_conversions_restate_with_the_sandbox_clock(
    served: tuple[FacebookAdsEmulator, EmulatorInfo], store: MetaStore
) -> None:
    graph = _extra(served[1])["graph_url"]
    until = _busy_day(store)
    since = until - timedelta(days=6)
    early, late = until + timedelta(days=1), store.default_today
    account = _account(served[1])
    totals = []
    try:
        for as_of in (early, late):
            requests.post(f"{graph}/_sandbox/clock", json={"today": as_of.isoformat()}, timeout=5)
            rows = [
                dict(r)
                for r in account.get_insights(
                    fields=INSIGHT_FIELDS, params=_insight_params(since, until, limit=500)
                )
            ]
            _assert_equal_to_world(rows, _expected(store, as_of, since, until))
            totals.append(sum(_actions(rows, "actions", a, "value") for a in ("lead", "purchase")))
    finally:
        requests.post(
            f"{graph}/_sandbox/clock", json={"today": store.default_today.isoformat()}, timeout=5
        )
    assert totals[0] < totals[1]  # the same days report more purchases once matured


def test_levels_and_increments_aggregate_the_same_totals(
    account: AdAccount, store: MetaStore
) -> None:
    since, until = _window(store)
    expected = _expected(store, store.default_today, since, until)
    for level, increment in (("campaign", 1), ("adset", 7), ("account", "all_days")):
        params = _insight_params(since, until, level=level, time_increment=increment, limit=500)
        rows = list(
            account.get_insights(fields=["spend", "impressions", f"{level}_id"], params=params)
        )
        assert sum(int(r["impressions"]) for r in rows) == expected["impressions"].sum()
        assert sum(float(r["spend"]) for r in rows) == pytest.approx(expected["spend"].sum())
        assert len({(r[f"{level}_id"], r["date_start"]) for r in rows}) == len(rows)
    (total,) = account.get_insights(
        fields=["spend"], params={"time_range": _insight_params(since, until)["time_range"]}
    )
    assert (total["date_start"], total["date_stop"]) == (since.isoformat(), until.isoformat())


def test_publisher_platform_breakdown_preserves_totals(
    account: AdAccount, store: MetaStore
) -> None:
    since, until = _window(store)
    params = _insight_params(
        since, until, level="campaign", breakdowns=["publisher_platform"], limit=500
    )
    rows = list(
        account.get_insights(
            fields=["campaign_id", "impressions", "spend", "actions"], params=params
        )
    )
    expected = _expected(store, store.default_today, since, until)
    assert {r["publisher_platform"] for r in rows} >= {"facebook", "instagram"}
    assert sum(int(r["impressions"]) for r in rows) == expected["impressions"].sum()
    assert sum(float(r["spend"]) for r in rows) == pytest.approx(expected["spend"].sum())
    assert (
        _actions(rows, "actions", "lead", "value")
        == (expected["lead_7d_click"] + expected["lead_1d_view"]).sum()
    )


def test_filtering_by_campaign(account: AdAccount, store: MetaStore) -> None:
    since, until = _window(store)
    campaign_id = store.campaigns[0]["id"]
    rule = {"field": "campaign.id", "operator": "IN", "value": [campaign_id]}
    params = _insight_params(since, until, filtering=[rule], limit=500)
    rows = list(account.get_insights(fields=["campaign_id", "impressions"], params=params))
    expected = _expected(store, store.default_today, since, until)
    expected = expected.loc[expected["campaign_id"] == campaign_id]
    assert {r["campaign_id"] for r in rows} == {campaign_id}
    assert sum(int(r["impressions"]) for r in rows) == expected["impressions"].sum()


def test_last_page_has_no_next_link(
    served: tuple[FacebookAdsEmulator, EmulatorInfo], store: MetaStore
) -> None:
    extra = _extra(served[1])
    url = f"{extra['graph_url']}/v26.0/{extra['account_id'][0]}/campaigns"
    params = {
        "access_token": extra["access_token"],
        "limit": 1,
        "effective_status": json.dumps(ALL_STATUSES),
    }
    pages = []
    while True:
        body = requests.get(url, params=params, timeout=5).json()
        pages.append(body)
        if "next" not in body["paging"]:
            break
        params["after"] = body["paging"]["cursors"]["after"]
    assert len(pages) == len(store.campaigns)
    assert all("next" in page["paging"] for page in pages[:-1])


# -- errors -------------------------------------------------------------------------------------


def _error(call: Any) -> FacebookRequestError:
    with pytest.raises(FacebookRequestError) as raised:
        call()
    return raised.value


@pytest.mark.filterwarnings("ignore:.*does not allow field")
def test_invalid_insights_field_is_code_100(account: AdAccount) -> None:
    error = _error(lambda: list(account.get_insights(fields=["spend", "social_impressions"])))
    assert error.api_error_code() == 100 and error.http_status() == 400
    assert "social_impressions is not valid for fields param" in error.api_error_message()


@pytest.mark.filterwarnings("ignore:.*does not allow field")
def test_invalid_object_field_is_code_100(account: AdAccount) -> None:
    error = _error(lambda: list(account.get_campaigns(fields=["name", "nope"])))
    assert error.api_error_code() == 100
    assert "nonexisting field (nope)" in error.api_error_message()


def test_unknown_account_is_code_100_subcode_33(account: AdAccount) -> None:
    other = AdAccount("act_999", api=account.get_api())
    error = _error(lambda: list(other.get_campaigns()))
    assert (error.api_error_code(), error.api_error_subcode()) == (100, 33)


def test_bad_token_is_code_190(served: tuple[FacebookAdsEmulator, EmulatorInfo]) -> None:
    account = _account(served[1], access_token="EAAwrong")
    error = _error(lambda: list(account.get_campaigns()))
    assert error.api_error_code() == 190 and error.api_transient_error() is False


def test_bad_appsecret_proof_is_rejected(served: tuple[FacebookAdsEmulator, EmulatorInfo]) -> None:
    account = _account(served[1], app_secret="not-the-secret")
    error = _error(lambda: list(account.get_campaigns()))
    assert error.api_error_code() == 100
    assert "appsecret_proof" in error.api_error_message()


@pytest.mark.filterwarnings("ignore:value of level might not be compatible")
def test_old_api_version_and_bad_enum_are_rejected(
    served: tuple[FacebookAdsEmulator, EmulatorInfo], account: AdAccount
) -> None:
    old = _account(served[1], api_version="v24.0")
    assert _error(lambda: old.api_get(fields=["name"])).api_error_code() == 2635
    error = _error(lambda: list(account.get_insights(fields=["spend"], params={"level": "x"})))
    assert error.api_error_code() == 100
    assert "level must be one of the following values" in error.api_error_message()


def test_insights_older_than_37_months_are_rejected(account: AdAccount, store: MetaStore) -> None:
    since = store.default_today - timedelta(days=37 * 31)
    params = {"time_range": {"since": since.isoformat(), "until": store.last_day.isoformat()}}
    error = _error(lambda: list(account.get_insights(fields=["spend"], params=params)))
    assert error.api_error_code() == 3018


def test_too_much_data_for_a_sync_request(store: MetaStore) -> None:
    with _running(store, sync_row_limit=10) as (_, info):
        since, until = _window(store)
        account = _account(info)
        params = _insight_params(since, until)
        error = _error(lambda: list(account.get_insights(fields=["spend"], params=params)))
        assert (error.http_status(), error.api_error_code(), error.api_error_subcode()) == (
            500,
            1,
            99,
        )
        job = account.get_insights(fields=["spend"], params=params, is_async=True)
        assert job["report_run_id"]  # the async path is the way out


# -- faults -------------------------------------------------------------------------------------


def _faulty(
    store: MetaStore, kind: str, **config: Any
) -> AbstractContextManager[tuple[FacebookAdsEmulator, EmulatorInfo]]:
    return _running(store, FaultConfig(rate=1.0, kinds=(kind,), seed=3, **config))


def test_rate_limit_faults_are_the_real_throttles(store: MetaStore) -> None:
    with _faulty(store, "rate_limit") as (_, info):
        account = _account(info)
        seen = []
        for _ in range(3):
            error = _error(lambda: list(account.get_campaigns()))
            usage = json.loads(error.http_headers()["x-business-use-case-usage"])
            (entry,) = usage[account["id"].removeprefix("act_")]
            assert entry["estimated_time_to_regain_access"] > 0
            assert error.http_status() == 400 and error.api_transient_error() is True
            for header in ("x-ad-account-usage", "x-app-usage", "x-fb-ads-insights-throttle"):
                assert header in error.http_headers()
            seen.append((error.api_error_code(), error.api_error_subcode()))
        assert seen == [(17, 2446079), (80000, 2446079), (613, 1487742)]


def test_server_error_faults_are_transient_500s(store: MetaStore) -> None:
    with _faulty(store, "server_error") as (_, info):
        account = _account(info)
        codes = []
        for _ in range(2):
            error = _error(lambda: list(account.get_ads()))
            assert error.http_status() == 500 and error.api_transient_error() is True
            codes.append(error.api_error_code())
        assert codes == [1, 2]


def test_server_error_on_report_creation_fails_the_job(store: MetaStore) -> None:
    with _faulty(store, "server_error") as (emulator, info):
        account = _account(info)
        job = account.get_insights(
            fields=["spend"], params={"date_preset": "last_7d"}, is_async=True
        )
        emulator.app.set_faults(FaultConfig())
        for _ in range(GraphOptions().polls_to_finish):
            job = job.api_get()
        assert job["async_status"] == "Job Failed"
        error = _error(lambda: list(job.get_result()))
        assert (error.api_error_code(), error.api_error_subcode()) == (2601, 1815107)


def test_expired_token_fault_is_190_463(store: MetaStore) -> None:
    with _faulty(store, "expired_token") as (_, info):
        error = _error(lambda: list(_account(info).get_campaigns()))
        assert (error.api_error_code(), error.api_error_subcode()) == (190, 463)
        assert "Session has expired" in error.api_error_message()


def test_timeout_fault_times_the_client_out(store: MetaStore) -> None:
    with (
        _faulty(store, "timeout", slow_seconds=0.6) as (_, info),
        pytest.raises(requests.exceptions.Timeout),
    ):
        list(_account(info, timeout=0.2).get_campaigns())


def test_fault_sequence_is_deterministic(store: MetaStore) -> None:
    outcomes = []
    for _ in range(2):
        config = FaultConfig(
            rate=0.5, kinds=("rate_limit", "server_error", "expired_token"), seed=11
        )
        with _running(store, config) as (_, info):
            account = _account(info)
            run = []
            for _ in range(12):
                try:
                    account.api_get(fields=["name"])
                    run.append(None)
                except FacebookRequestError as error:
                    run.append(error.api_error_code())
            outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert any(code is None for code in outcomes[0]) and any(outcomes[0])


def test_usage_headers_rise_with_calls(store: MetaStore) -> None:
    with _running(store, calls_per_hour=10) as (_, info):
        account = _account(info)
        seen = []
        for _ in range(3):
            cursor = account.get_campaigns(fields=["name"])
            seen.append(json.loads(cursor.headers()["x-ad-account-usage"])["acc_id_util_pct"])
        assert seen == [10, 20, 30]
