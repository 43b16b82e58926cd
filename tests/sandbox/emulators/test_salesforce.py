"""Contract tests: unmodified simple-salesforce against the Salesforce emulator (tiny world)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceOperationError,
    SalesforceRefusedRequest,
)

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig, FaultInjector
from sandbox.emulators.salesforce import SalesforceEmulator
from sandbox.emulators.salesforce.org_data import (
    IMPLAUSIBLE,
    IMPLAUSIBLE_VALUES,
    RETYPE_EVERY,
    RETYPE_TEXT,
    SOBJECTS,
    WRITEBACK_FIELDS,
)
from sandbox.world import World, WorldConfig, generate

BATCH = 20
SF_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
POLL = 0.02  # seconds simple-salesforce waits before polling a Bulk job


@pytest.fixture(scope="module")
def world() -> World:
    return generate(WorldConfig(scale="tiny", seed=42))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox")


def _start(
    world: World, home: Path, faults: FaultConfig | None = None, **options: Any
) -> tuple[SalesforceEmulator, EmulatorInfo]:
    emulator = SalesforceEmulator(batch_size=options.pop("batch_size", BATCH), **options)
    return emulator, emulator.start(world, faults or FaultConfig(), home)


@pytest.fixture(scope="module")
def org(world: World, home: Path) -> Iterator[EmulatorInfo]:
    """A read-only org shared by the query tests (no test writes to it)."""
    emulator, info = _start(world, home)
    yield info
    emulator.stop()


@pytest.fixture
def start_org(world: World, home: Path) -> Iterator[Any]:
    """A factory for fresh orgs (writes, faults), stopped after the test."""
    started: list[SalesforceEmulator] = []

    def start(faults: FaultConfig | None = None, **options: Any) -> EmulatorInfo:
        emulator, info = _start(world, home, faults, **options)
        started.append(emulator)
        return info

    yield start
    for emulator in started:
        emulator.stop()


def _http(info: EmulatorInfo) -> requests.Session:
    session = requests.Session()
    session.verify = info.connections["mdp_salesforce"]["extra"]["ca_bundle"]
    session.trust_env = False
    return session


def _token(info: EmulatorInfo, **overrides: str) -> requests.Response:
    conn = info.connections["mdp_salesforce"]
    form = {
        "grant_type": "refresh_token",
        "client_id": conn["login"],
        "client_secret": conn["password"],
        "refresh_token": conn["extra"]["refresh_token"],
        **overrides,
    }
    return _http(info).post(conn["extra"]["token_url"], data=form)


def connect(info: EmulatorInfo) -> Salesforce:
    """What a connector does: refresh-token grant, then simple-salesforce in session mode."""
    grant = _token(info).json()
    return Salesforce(
        instance_url=grant["instance_url"],
        session_id=grant["access_token"],
        session=_http(info),
        version="59.0",
    )


def _live(world: World, table_name: str) -> pa.Table:
    table = world.tables[table_name]
    if "IsDeleted" not in table.column_names:
        return table
    return table.filter(pc.invert(table["IsDeleted"]))


def _fields(sf: Salesforce, sobject: str) -> list[str]:
    return [f["name"] for f in getattr(sf, sobject).describe()["fields"]]


# --- query ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table_name", sorted(SOBJECTS))
def test_query_all_pages_through_every_object_and_equals_the_world(
    org: EmulatorInfo, world: World, table_name: str
) -> None:
    sf = connect(org)
    sobject = SOBJECTS[table_name]
    world_fields = world.tables[table_name].column_names
    result = sf.query_all(f"SELECT {', '.join(world_fields)} FROM {sobject}")
    expected = _live(world, table_name)
    assert result["totalSize"] == expected.num_rows
    assert sorted(r["Id"] for r in result["records"]) == sorted(expected["Id"].to_pylist())
    by_id = {r["Id"]: r for r in result["records"]}
    for row in expected.slice(0, 3).to_pylist():
        for name, value in row.items():
            served = by_id[row["Id"]][name]
            if isinstance(value, dt.datetime):
                assert SF_DATETIME.match(served) and served.startswith(
                    value.strftime("%Y-%m-%dT%H:%M:%S")
                )
            elif isinstance(value, dt.date):
                assert served == value.isoformat()
            else:
                assert served == value
    assert all(r["attributes"]["type"] == sobject for r in result["records"])


def test_pages_follow_next_records_url_and_sums_match(org: EmulatorInfo, world: World) -> None:
    sf = connect(org)
    first = sf.query("SELECT Id, Amount FROM Opportunity")
    assert not first["done"] and len(first["records"]) == BATCH
    assert first["nextRecordsUrl"].endswith(f"-{BATCH}")
    records = list(sf.query_all_iter("SELECT Id, Amount FROM Opportunity"))
    expected = pc.sum(_live(world, "sf_opportunity")["Amount"]).as_py()
    assert sum(r["Amount"] or 0 for r in records) == pytest.approx(expected)
    assert sf.api_usage["api-usage"].total == 15_000


def test_query_hides_deleted_rows_and_query_all_returns_them(
    org: EmulatorInfo, world: World
) -> None:
    sf = connect(org)
    table = world.tables["sf_case"]
    deleted = pc.sum(table["IsDeleted"]).as_py()
    assert deleted > 0
    live = sf.query_all("SELECT Id, IsDeleted FROM Case")["records"]
    everything = sf.query_all("SELECT Id, IsDeleted FROM Case", include_deleted=True)["records"]
    assert len(live) == table.num_rows - deleted and not any(r["IsDeleted"] for r in live)
    assert len(everything) == table.num_rows
    assert sum(r["IsDeleted"] for r in everything) == deleted


def test_system_modstamp_cursor_at_a_shared_second(org: EmulatorInfo, world: World) -> None:
    """Several accounts share one SystemModstamp: `>=` returns all of them, `>` none."""
    table = _live(world, "sf_account")
    counts = pc.value_counts(table["SystemModstamp"]).to_pylist()
    cursor = max(counts, key=lambda c: c["counts"])["values"]
    assert max(c["counts"] for c in counts) > 1
    literal = cursor.strftime("%Y-%m-%dT%H:%M:%SZ")
    sf = connect(org)
    at_or_after = sf.query_all(
        f"SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp >= {literal} "
        "ORDER BY SystemModstamp, Id"
    )["records"]
    after = sf.query_all(f"SELECT Id FROM Account WHERE SystemModstamp > {literal}")["records"]
    stamps = table["SystemModstamp"]
    assert (
        len(at_or_after) == pc.sum(pc.greater_equal(stamps, pa.scalar(cursor, stamps.type))).as_py()
    )
    assert len(after) == pc.sum(pc.greater(stamps, pa.scalar(cursor, stamps.type))).as_py()
    assert len(at_or_after) - len(after) == max(c["counts"] for c in counts)
    keys = [(r["SystemModstamp"], r["Id"]) for r in at_or_after]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1].casefold()))  # SOQL ignores case


def test_soql_filters_order_limit_and_count(org: EmulatorInfo, world: World) -> None:
    sf = connect(org)
    opps = _live(world, "sf_opportunity").to_pylist()
    won = [o for o in opps if o["IsWon"]]
    assert sf.query("SELECT COUNT() FROM Opportunity WHERE IsWon = TRUE")["totalSize"] == len(won)
    big = sf.query_all(
        "SELECT Id, Amount FROM Opportunity "
        "WHERE Amount > 1000 AND (IsWon = true OR IsClosed = false) ORDER BY Amount DESC LIMIT 5"
    )["records"]
    expected = sorted(
        (o for o in opps if (o["Amount"] or 0) > 1000 and (o["IsWon"] or not o["IsClosed"])),
        key=lambda o: -o["Amount"],
    )[:5]
    assert [r["Id"] for r in big] == [o["Id"] for o in expected]
    stages = sorted({o["StageName"] for o in opps})[:2]
    in_stages = sf.query_all(
        f"SELECT Id FROM Opportunity WHERE StageName IN ('{stages[0]}', '{stages[1].upper()}')"
    )["records"]
    assert len(in_stages) == sum(o["StageName"] in stages for o in opps)
    leads = _live(world, "sf_lead").to_pylist()
    domain = leads[0]["Email"].split("@")[1]
    like = sf.query_all(f"SELECT Id FROM Lead WHERE Email LIKE '%@{domain}'")["records"]
    assert len(like) == sum(lead["Email"].endswith("@" + domain) for lead in leads)
    no_fbclid = sf.query_all("SELECT Id FROM Lead WHERE FBCLID__c = null")["records"]
    assert len(no_fbclid) == sum(lead["FBCLID__c"] is None for lead in leads)
    close = opps[0]["CloseDate"].isoformat()
    on_or_before = sf.query_all(f"SELECT Id FROM Opportunity WHERE CloseDate <= {close}")["records"]
    assert len(on_or_before) == sum(o["CloseDate"].isoformat() <= close for o in opps)


def test_string_escapes(org: EmulatorInfo) -> None:
    sf = connect(org)
    assert sf.query("SELECT Id FROM Account WHERE Name = 'O\\'Brien \\\\ Co'")["totalSize"] == 0


@pytest.mark.parametrize(
    ("soql", "code", "needle"),
    [
        ("SELECT Id, Foo FROM Lead", "INVALID_FIELD", "No such column 'Foo' on entity 'Lead'"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
        ("SELECT Id FROM Lead WHERE A__c = 1 AND B__c = 2 OR C__c = 3", "MALFORMED_QUERY", "OR"),
        ("SELECT Id FROM Leed", "INVALID_TYPE", "sObject type 'Leed' is not supported"),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > '2025-01-01'",
            "INVALID_FIELD",
            "must be of type dateTime and should not be enclosed in quotes",
        ),
    ],
)
def test_invalid_soql_raises_the_real_error(
    org: EmulatorInfo, soql: str, code: str, needle: str
) -> None:
    sf = connect(org)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == code
    assert needle in caught.value.content[0]["message"]


# --- describe ------------------------------------------------------------------------------


def test_describe_lists_custom_fields_and_global_describe_lists_objects(
    org: EmulatorInfo, world: World
) -> None:
    sf = connect(org)
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert names == set(SOBJECTS.values())
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    world_custom = {c for c in world.tables["sf_lead"].column_names if c.endswith("__c")}
    assert world_custom | set(WRITEBACK_FIELDS["Lead"]) == {
        n for n, f in fields.items() if f["custom"]
    }
    assert fields["CreatedDate"]["type"] == "datetime" and not fields["CreatedDate"]["updateable"]
    assert fields["Lead_Score__c"]["type"] == "double" and fields["Lead_Score__c"]["updateable"]
    assert fields["OwnerId"]["type"] == "reference" and fields["OwnerId"]["referenceTo"] == ["User"]
    assert (
        sf.Opportunity.describe()["fields"][_fields(sf, "Opportunity").index("Amount")]["type"]
        == "currency"
    )


# --- auth ----------------------------------------------------------------------------------


def test_oauth_grants_and_rejects(org: EmulatorInfo) -> None:
    good = _token(org).json()
    assert (
        good["token_type"] == "Bearer"
        and good["instance_url"] == org.connections["mdp_salesforce"]["host"]
    )
    assert {"access_token", "id", "issued_at", "signature"} <= good.keys()
    bad = _token(org, refresh_token="revoked")
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    assert _token(org, grant_type="client_credentials").status_code == 200
    sf = Salesforce(
        instance_url=good["instance_url"],
        session_id="not-a-token",
        session=_http(org),
        version="59.0",
    )
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_sessions_expire_after_their_lifetime(start_org: Any) -> None:
    info = start_org(session_seconds=0.2)
    sf = connect(info)
    sf.query("SELECT Id FROM User")
    time.sleep(0.3)
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User")


# --- writes --------------------------------------------------------------------------------


def _open_leads(world: World) -> list[dict[str, Any]]:
    """Leads an API may update: neither deleted nor converted (conversion makes them read-only)."""
    return [r for r in _live(world, "sf_lead").to_pylist() if not r["IsConverted"]]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_bulk2_upsert_by_id_changes_what_query_reads_back(start_org: Any, world: World) -> None:
    sf = connect(start_org())
    leads = _open_leads(world)[:5]
    newest = sf.query("SELECT SystemModstamp FROM Lead ORDER BY SystemModstamp DESC LIMIT 1")
    scores = [{"Id": lead["Id"], "Lead_Score__c": f"{i}5"} for i, lead in enumerate(leads)]
    [job] = sf.bulk2.Lead.upsert(records=scores, external_id_field="Id", wait=POLL)
    assert job["numberRecordsProcessed"] == 5 and job["numberRecordsFailed"] == 0
    succeeded = _csv(sf.bulk2.Lead.get_successful_records(job["job_id"]))
    assert [(r["sf__Id"], r["sf__Created"]) for r in succeeded] == [
        (s["Id"], "false") for s in scores
    ]
    after = sf.query_all(
        f"SELECT Id, Lead_Score__c, SystemModstamp FROM Lead "
        f"WHERE SystemModstamp > {newest['records'][0]['SystemModstamp'].replace('.000+0000', 'Z')}"
    )["records"]
    assert {r["Id"]: r["Lead_Score__c"] for r in after} == {
        s["Id"]: float(s["Lead_Score__c"]) for s in scores
    }
    untouched = sf.query("SELECT COUNT() FROM Lead WHERE Lead_Score__c = null")["totalSize"]
    assert untouched == len(_live(world, "sf_lead")) - 5


def test_bulk2_ingest_job_is_processed_in_the_background_after_upload(
    start_org: Any, world: World
) -> None:
    """As in Salesforce, closing the upload starts the work; polls only report it."""
    sf = connect(start_org())
    lead = _open_leads(world)[0]
    client = sf.bulk2.Lead._client
    job = client.create_job("upsert", external_id_field="Id")
    client.upload_job_data(job["id"], f"Id,Lead_Score__c\n{lead['Id']},42\n")
    closed = client.close_job(job["id"])
    assert closed["state"] == "UploadComplete"
    deadline = time.monotonic() + 10
    score = None
    while time.monotonic() < deadline and score != 42:  # read back without polling the job
        time.sleep(0.01)
        score = sf.query(f"SELECT Lead_Score__c FROM Lead WHERE Id = '{lead['Id']}'")["records"]
        score = score[0]["Lead_Score__c"]
    assert score == 42
    polled = client.get_job(job["id"], is_query=False)
    assert (polled["state"], polled["numberRecordsProcessed"]) == ("JobComplete", 1)


def test_bulk2_upsert_by_external_id_creates_then_updates(start_org: Any) -> None:
    info = start_org(extra_fields={"Lead": {"Web_Lead_External_Id__c": "external_id"}})
    sf = connect(info)
    record = {
        "Web_Lead_External_Id__c": "web-1",
        "LastName": "Doe",
        "Company": "Acme",
        "Status": "Open",
    }
    [created] = sf.bulk2.Lead.upsert(
        records=[record], external_id_field="Web_Lead_External_Id__c", wait=POLL
    )
    [row] = _csv(sf.bulk2.Lead.get_successful_records(created["job_id"]))
    assert row["sf__Created"] == "true" and row["sf__Id"].startswith("00Q")
    sf.bulk2.Lead.upsert(
        records=[{**record, "Company": "Acme Corp"}],
        external_id_field="Web_Lead_External_Id__c",
        wait=POLL,
    )
    [lead] = sf.query_all(
        "SELECT Id, Company, CreatedDate FROM Lead WHERE Web_Lead_External_Id__c = 'web-1'"
    )["records"]
    assert lead["Id"] == row["sf__Id"] and lead["Company"] == "Acme Corp"
    assert SF_DATETIME.match(lead["CreatedDate"])


def test_bulk2_unknown_field_fails_the_job(start_org: Any, world: World) -> None:
    sf = connect(start_org())
    lead_id = world.tables["sf_lead"]["Id"][0].as_py()
    with pytest.raises(
        SalesforceOperationError, match="InvalidBatch : Field name not found : Foo__c"
    ):
        sf.bulk2.Lead.upsert(
            records=[{"Id": lead_id, "Foo__c": "x"}], external_id_field="Id", wait=POLL
        )
    [job] = sf.restful("jobs/ingest")["records"]
    assert job["state"] == "Failed"
    assert _csv(sf.bulk2.Lead.get_unprocessed_records(job["id"])) == [
        {"Id": lead_id, "Foo__c": "x"}
    ]


def test_bulk2_partial_failures_are_reported_per_row(start_org: Any, world: World) -> None:
    """bulk_partial: lock errors succeed when re-submitted, validation errors keep failing."""
    sf = connect(start_org(FaultConfig(data_faults=frozenset({"bulk_partial"}))))
    usage = _live(world, "sf_product_usage").to_pylist()
    updates = [{"Id": u["Id"], "Active_Users__c": "999"} for u in usage]
    [job] = sf.bulk2.Product_Usage__c.upsert(records=updates, external_id_field="Id", wait=POLL)
    failed = _csv(sf.bulk2.Product_Usage__c.get_failed_records(job["job_id"]))
    codes = {r["sf__Id"]: r["sf__Error"].split(":")[0] for r in failed}
    assert job["numberRecordsFailed"] == len(failed) > 0
    assert set(codes.values()) == {"UNABLE_TO_LOCK_ROW", "FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    served = {
        r["Id"]: r["Active_Users__c"]
        for r in sf.query_all("SELECT Id, Active_Users__c FROM Product_Usage__c")["records"]
    }
    assert [i for i, users in served.items() if users != 999] == list(codes)
    retry = [{"Id": i, "Active_Users__c": "999"} for i in codes]
    [again] = sf.bulk2.Product_Usage__c.upsert(records=retry, external_id_field="Id", wait=POLL)
    still = _csv(sf.bulk2.Product_Usage__c.get_failed_records(again["job_id"]))
    assert {r["sf__Id"] for r in still} == {
        i for i, c in codes.items() if c != "UNABLE_TO_LOCK_ROW"
    }


def test_collections_and_single_record_updates(start_org: Any, world: World) -> None:
    sf = connect(start_org())
    ids = _live(world, "sf_account")["Id"].to_pylist()[:3]
    records = [{"attributes": {"type": "Account"}, "id": i, "Churn_Risk_3M__c": 50} for i in ids]
    results = sf.restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records}
    )
    assert results == [{"id": i, "success": True, "errors": []} for i in ids]
    bad = [*records[:2], {"attributes": {"type": "Account"}, "id": ids[2], "Nope__c": 1}]
    rolled_back = sf.restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": True, "records": bad}
    )
    assert [r["errors"][0]["statusCode"] for r in rolled_back] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "INVALID_FIELD",
    ]
    assert sf.Account.update(ids[0], {"Churn_Risk_3M__c": 90}) == 204
    assert sf.Account.get(ids[0])["Churn_Risk_3M__c"] == 90
    risks = sf.query_all("SELECT Id, Churn_Risk_3M__c FROM Account WHERE Churn_Risk_3M__c != null")[
        "records"
    ]
    assert sorted((r["Id"], r["Churn_Risk_3M__c"]) for r in risks) == sorted(
        [(ids[0], 90), (ids[1], 50), (ids[2], 50)]
    )
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Account.update(ids[0], {"CreatedDate": "2020-01-01T00:00:00Z"})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_bulk2_query_job_returns_the_world(org: EmulatorInfo, world: World) -> None:
    sf = connect(org)
    pages = list(sf.bulk2.Case.query("SELECT Id, Subject FROM Case", max_records=100, wait=POLL))
    rows = [row for page in pages for row in _csv(page)]
    assert len(pages) > 1
    assert sorted(r["Id"] for r in rows) == sorted(_live(world, "sf_case")["Id"].to_pylist())


# --- faults --------------------------------------------------------------------------------


def _one_fault(kind: str, **extra: Any) -> FaultConfig:
    return FaultConfig(rate=1.0, kinds=(kind,), **extra)


def test_rate_limit_fault_is_request_limit_exceeded(start_org: Any) -> None:
    sf = connect(start_org(_one_fault("rate_limit")))
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.status == 403
    assert caught.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


def test_daily_allowance_runs_out(start_org: Any) -> None:
    sf = connect(start_org(daily_requests=2))
    sf.query("SELECT Id FROM User")
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 2
    sf.query("SELECT Id FROM User")
    with pytest.raises(SalesforceRefusedRequest):
        sf.query("SELECT Id FROM User")


def test_server_error_fault_alternates_503_and_500(start_org: Any) -> None:
    sf = connect(start_org(_one_fault("server_error")))
    codes = []
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query("SELECT Id FROM Lead")
        codes.append((caught.value.status, caught.value.content[0]["errorCode"]))
    assert codes == [(503, "SERVER_UNAVAILABLE"), (500, "UNKNOWN_EXCEPTION")]


def test_timeout_fault_trips_the_client_timeout(start_org: Any) -> None:
    sf = connect(start_org(_one_fault("timeout", slow_seconds=0.5)))
    with pytest.raises(requests.exceptions.ReadTimeout):
        sf.query("SELECT Id FROM Lead", timeout=0.1)


def _seed_with(pattern: list[str | None]) -> int:
    """A seed whose first calls draw exactly `pattern` (rate 0.5, expired_token only)."""
    for seed in range(1000):
        injector = FaultInjector(
            FaultConfig(rate=0.5, kinds=("expired_token",), seed=seed), "salesforce"
        )
        if [injector.next_fault() for _ in pattern] == pattern:
            return seed
    raise AssertionError("no seed found")


def test_expired_token_mid_chain_kills_the_locator(start_org: Any, world: World) -> None:
    """The session dies between pages: re-auth works, but the old locator does not resume."""
    pattern = [None, "expired_token", None, None, None]
    info = start_org(FaultConfig(rate=0.5, kinds=("expired_token",), seed=_seed_with(pattern)))
    sf = connect(info)
    soql = "SELECT Id FROM Product_Usage__c ORDER BY Id LIMIT 30"
    first = sf.query(soql)
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert caught.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    fresh = connect(info)
    with pytest.raises(SalesforceMalformedRequest) as stale:
        fresh.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert stale.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert len(fresh.query_all(soql)["records"]) == 30


# --- data faults ---------------------------------------------------------------------------


def test_schema_drift_renames_a_custom_field(start_org: Any) -> None:
    sf = connect(start_org(FaultConfig(data_faults=frozenset({"schema_drift"}))))
    fields = _fields(sf, "Account")
    assert "Customer_Since_v2__c" in fields and "Customer_Since__c" not in fields
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id, Customer_Since__c FROM Account")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert (
        sf.query("SELECT COUNT() FROM Account WHERE Customer_Since_v2__c != null")["totalSize"] > 0
    )


def test_schema_drop_deletes_a_custom_field_from_describe_and_query(
    start_org: Any, world: World
) -> None:
    sf = connect(start_org(FaultConfig(data_faults=frozenset({"schema_drop"}))))
    for sobject, field in [("Account", "Customer_Since__c"), ("Subscription__c", "Account__c")]:
        assert field not in _fields(sf, sobject)
        assert not any(f.startswith(field.removesuffix("__c")) for f in _fields(sf, sobject))
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.query(f"SELECT Id, {field} FROM {sobject}")
        assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == len(_live(world, "sf_account"))


def test_schema_retype_turns_a_number_field_into_text_keeping_its_values(
    start_org: Any, world: World
) -> None:
    sf = connect(start_org(FaultConfig(data_faults=frozenset({"schema_retype"}))))
    described = {f["name"]: f for f in sf.Opportunity.describe()["fields"]}
    assert (described["MRR__c"]["type"], described["MRR__c"]["soapType"]) == (
        "string",
        "xsd:string",
    )
    served = {
        r["Id"]: r["MRR__c"] for r in sf.query_all("SELECT Id, MRR__c FROM Opportunity")["records"]
    }
    truth = world.tables["sf_opportunity"]
    ids, numbers = truth["Id"].to_pylist(), truth["MRR__c"].to_pylist()
    # every value kept as its text (it parses back to the same number), a few overtyped
    expected = {
        i: RETYPE_TEXT if n % RETYPE_EVERY == 0 else str(v)
        for n, (i, v) in enumerate(zip(ids, numbers, strict=True))
    }
    assert served == expected and RETYPE_TEXT in served.values()
    text = sf.query(f"SELECT COUNT() FROM Opportunity WHERE MRR__c = '{RETYPE_TEXT}'")
    assert text["totalSize"] == sum(v == RETYPE_TEXT for v in served.values())
    assert "MRR__c" in _fields(sf, "Subscription__c")  # the other custom fields keep their type


def test_implausible_values_are_served_as_planted(start_org: Any, world: World) -> None:
    sf = connect(start_org(FaultConfig(data_faults=frozenset({IMPLAUSIBLE_VALUES}))))
    for sobject, (field, value) in IMPLAUSIBLE.items():
        table = world.tables[next(t for t, o in SOBJECTS.items() if o == sobject)]
        first = min(table["Id"].to_pylist())
        records = sf.query(f"SELECT Id, {field} FROM {sobject} ORDER BY Id LIMIT 2")["records"]
        assert records[0]["Id"] == first
        served = records[0][field]
        if isinstance(value, float) and math.isnan(value):
            assert isinstance(served, float) and math.isnan(served)  # a bare NaN in the JSON
        elif isinstance(value, dt.datetime):
            assert served == value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        else:
            assert served == value
        assert records[1][field] is not None and records[1][field] == records[1][field]


def test_duplicates_serve_a_record_twice_per_page(start_org: Any, world: World) -> None:
    sf = connect(start_org(FaultConfig(data_faults=frozenset({"duplicates"}))))
    records = sf.query_all("SELECT Id FROM Case")["records"]
    ids = [r["Id"] for r in records]
    assert len(ids) > len(set(ids)) and set(ids) == set(_live(world, "sf_case")["Id"].to_pylist())


def test_the_writeback_fields_are_described_as_an_admin_created_them(org: EmulatorInfo) -> None:
    sf = connect(org)
    lead = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    account = {f["name"]: f for f in sf.Account.describe()["fields"]}
    score = lead["Lead_Score__c"]
    assert (score["type"], score["precision"], score["scale"]) == ("double", 3, 0)
    assert score["label"] == "Lead Score" and "within 90 days" in score["inlineHelpText"]
    tier = lead["Lead_Score_Tier__c"]
    assert tier["type"] == "picklist" and tier["restrictedPicklist"]
    assert [v["value"] for v in tier["picklistValues"]] == ["Hot", "Warm", "Cold"]
    reasons = lead["Lead_Score_Reasons__c"]
    assert (reasons["type"], reasons["length"], reasons["extraTypeInfo"]) == (
        "textarea",
        1000,
        "plaintextarea",
    )
    assert lead["Lead_Score_Date__c"]["type"] == "datetime"
    assert lead["Lead_Score_Model_Version__c"]["length"] == 80
    for horizon in ("1M", "3M"):
        assert account[f"Churn_Risk_{horizon}__c"]["precision"] == 3
        level = account[f"Churn_Risk_Level_{horizon}__c"]
        assert [v["value"] for v in level["picklistValues"]] == ["High", "Medium", "Low"]
    value = account["Predicted_LTV__c"]
    assert (value["type"], value["precision"], value["scale"]) == ("currency", 16, 0)


def test_a_converted_lead_cannot_be_updated_in_bulk_or_over_rest(
    start_org: Any, world: World
) -> None:
    """Conversion makes a lead read-only: Salesforce answers CANNOT_UPDATE_CONVERTED_LEAD."""
    sf = connect(start_org())
    converted = next(r for r in _live(world, "sf_lead").to_pylist() if r["IsConverted"])
    open_lead = _open_leads(world)[0]
    rows = [
        {"Id": converted["Id"], "Lead_Score__c": "40"},
        {"Id": open_lead["Id"], "Lead_Score__c": "41"},
    ]
    [job] = sf.bulk2.Lead.upsert(records=rows, external_id_field="Id", wait=POLL)
    failed = _csv(sf.bulk2.Lead.get_failed_records(job["job_id"]))
    assert [(r["Id"], r["sf__Error"]) for r in failed] == [
        (converted["Id"], "CANNOT_UPDATE_CONVERTED_LEAD:cannot reference converted lead:--")
    ]
    assert sf.Lead.get(open_lead["Id"])["Lead_Score__c"] == 41
    assert sf.Lead.get(converted["Id"])["Lead_Score__c"] is None

    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.update(converted["Id"], {"Lead_Score__c": 40})
    assert caught.value.content == [
        {
            "message": "cannot reference converted lead",
            "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD",
            "fields": [],
        }
    ]
    results = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, "id": converted["Id"], "Lead_Score__c": 40}
            ],
        },
    )
    assert results[0]["errors"][0]["statusCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_field_metadata_refuses_values_and_rounds_numbers(start_org: Any, world: World) -> None:
    sf = connect(start_org())
    lead = _open_leads(world)[0]["Id"]
    refusals = {
        "Lead_Score_Tier__c": (
            "Lukewarm",
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Lead Tier: bad value for restricted picklist field: Lukewarm",
        ),
        "Lead_Score__c": (
            1000,
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Lead Score: value outside of valid range on numeric field: 1000.0",
        ),
        "Lead_Score_Model_Version__c": ("v" * 81, "STRING_TOO_LONG", "Lead Score Model: data"),
    }
    for field_name, (value, code, message) in refusals.items():
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Lead.update(lead, {field_name: value})
        (error,) = caught.value.content
        assert error["errorCode"] == code and error["message"].startswith(message)
        assert error["fields"] == [field_name]
    assert sf.Lead.update(lead, {"Lead_Score__c": 41.5, "Lead_Score_Tier__c": "Hot"}) == 204
    # decimal places are enforced in Salesforce's UI only: an API write keeps them (the
    # product sends whole numbers itself)
    assert sf.Lead.get(lead)["Lead_Score__c"] == 41.5
    [job] = sf.bulk2.Lead.upsert(
        records=[{"Id": lead, "Lead_Score_Tier__c": "Scorching"}], external_id_field="Id", wait=POLL
    )
    (failed,) = _csv(sf.bulk2.Lead.get_failed_records(job["job_id"]))
    assert failed["sf__Error"].startswith("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:")
    assert failed["sf__Error"].endswith(":Lead_Score_Tier__c")
