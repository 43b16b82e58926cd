"""Contract tests: the unmodified `hubspot-api-client` against the HubSpot CRM emulator."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm import companies as hs_companies
from hubspot.crm import contacts as hs_contacts
from hubspot.crm.companies.exceptions import ApiException as CompaniesApiException
from hubspot.crm.companies.exceptions import ServiceException as CompaniesServiceException
from hubspot.crm.contacts.exceptions import (
    ApiException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)
from hubspot.crm.properties import PropertyCreate

from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.hubspot import ACCESS_TOKEN, PARTIAL_BATCH, HubSpotEmulator
from sandbox.emulators.hubspot.seed import LEAD_STAGES
from sandbox.world import World, WorldConfig, generate


@functools.cache
def _world() -> World:
    return generate(WorldConfig(scale="tiny", seed=42))


def _live(name: str) -> list[dict[str, Any]]:
    return [r for r in _world().tables[name].to_pylist() if not r["IsDeleted"]]


def _a_contact() -> dict[str, Any]:
    """A Salesforce contact of an account, for lookups by email."""
    return next(r for r in _live("sf_contact") if r["Email"] and r["Title"])


def _an_open_lead() -> dict[str, Any]:
    return next(r for r in _live("sf_lead") if r["Status"] in LEAD_STAGES and r["Email"])


def _expected_contacts() -> dict[str, str]:
    """email → Salesforce id the portal must hold: every contact, plus unconverted leads."""
    people = {r["Email"].lower(): r["Id"] for r in _live("sf_contact") if r["Email"]}
    for lead in _live("sf_lead"):
        if lead["Status"] in LEAD_STAGES and lead["Email"]:
            people.setdefault(lead["Email"].lower(), lead["Id"])
    return people


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[HubSpotEmulator, HubSpot]]:
    yield from _running(FaultConfig(), tmp_path)


def _running(faults: FaultConfig, home: Path) -> Iterator[tuple[HubSpotEmulator, HubSpot]]:
    emulator = HubSpotEmulator()
    info = emulator.start(_world(), faults, home)
    connection = info.connections["mdp_hubspot"]
    client = HubSpot(access_token=connection["password"], host=connection["host"])
    try:
        yield emulator, client
    finally:
        emulator.stop()


def _client(emulator: HubSpotEmulator, token: str = ACCESS_TOKEN) -> HubSpot:
    assert emulator.portal is not None
    return HubSpot(access_token=token, host=emulator.portal.base_url)


def _upsert(client: HubSpot, rows: list[tuple[str, dict[str, Any]]]) -> Any:
    inputs = [
        hs_contacts.SimplePublicObjectBatchInputUpsert(id=email, id_property="email", properties=p)
        for email, p in rows
    ]
    batch = hs_contacts.BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs)
    return client.crm.contacts.batch_api.upsert(batch)


def _read_by_email(
    client: HubSpot, emails: list[str], properties: list[str], **options: Any
) -> Any:
    request = hs_contacts.BatchReadInputSimplePublicObjectId(
        inputs=[hs_contacts.SimplePublicObjectId(id=e) for e in emails],
        id_property="email",
        properties=properties,
        properties_with_history=[],
    )
    return client.crm.contacts.batch_api.read(request, **options)


def _create_score_property(client: HubSpot) -> None:
    client.crm.properties.core_api.create(
        "contacts",
        PropertyCreate(
            name="mdp_lead_score",
            label="MDP lead score",
            type="number",
            field_type="number",
            group_name="contactinformation",
        ),
    )


def test_the_connection_carries_base_url_and_private_app_token(tmp_path: Path) -> None:
    emulator = HubSpotEmulator()
    info = emulator.start(_world(), FaultConfig(), tmp_path)
    emulator.stop()
    connection = info.connections["mdp_hubspot"]
    assert connection["conn_type"] == "http"
    assert connection["host"] == info.endpoints["hubspot api"]
    assert connection["host"].startswith("http://127.0.0.1:")
    assert connection["password"] == ACCESS_TOKEN


def test_paging_contacts_with_a_small_limit_returns_exactly_the_seeded_people(emulator) -> None:
    _, client = emulator
    seen: dict[str, dict[str, Any]] = {}
    ids, pages, after = [], 0, None
    while True:
        page = client.crm.contacts.basic_api.get_page(
            limit=7, after=after, properties=["email", "salesforcecontactid", "salesforceleadid"]
        )
        pages += 1
        for record in page.results:
            ids.append(int(record.id))
            seen[record.properties["email"]] = record.properties
        if page.paging is None:
            break
        after = page.paging.next.after
    expected = _expected_contacts()
    assert pages == -(-len(expected) // 7) and pages > 1
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == len(expected)
    got = {e: p["salesforcecontactid"] or p["salesforceleadid"] for e, p in seen.items()}
    assert got == expected


def test_companies_equal_the_live_accounts(emulator) -> None:
    _, client = emulator
    fields = ["name", "domain", "numberofemployees", "lifecyclestage", "salesforceaccountid"]
    records = client.crm.companies.get_all(properties=fields)
    got = {
        r.properties["salesforceaccountid"]: (
            r.properties["name"],
            r.properties["domain"],
            int(r.properties["numberofemployees"]),
        )
        for r in records
    }
    expected = {
        a["Id"]: (a["Name"], a["Website"].removeprefix("https://www."), a["NumberOfEmployees"])
        for a in _live("sf_account")
    }
    assert got == expected
    # Ids follow creation order, like a portal filled as the accounts appeared.
    by_id = sorted(records, key=lambda r: int(r.id))
    assert [r.created_at for r in by_id] == sorted(a["CreatedDate"] for a in _live("sf_account"))


def test_default_read_returns_hubspots_default_properties(emulator) -> None:
    _, client = emulator
    record = client.crm.contacts.basic_api.get_page(limit=1).results[0]
    assert set(record.properties) == {
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    }
    assert record.properties["hs_object_id"] == record.id


def test_get_by_email_and_a_missing_record(emulator) -> None:
    _, client = emulator
    person = _a_contact()
    account = next(a for a in _live("sf_account") if a["Id"] == person["AccountId"])
    record = client.crm.contacts.basic_api.get_by_id(
        person["Email"].upper(), id_property="email", properties=["jobtitle", "company"]
    )
    assert record.properties["jobtitle"] == person["Title"]
    assert record.properties["company"] == account["Name"]
    with pytest.raises(NotFoundException) as missing:
        client.crm.contacts.basic_api.get_by_id("999999")
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["category"] == "OBJECT_NOT_FOUND"


def test_batch_upsert_then_read_back_equals_what_was_sent(emulator) -> None:
    hub, client = emulator
    _create_score_property(client)
    sent = {
        _a_contact()["Email"]: {"mdp_lead_score": "0.91", "lifecyclestage": "customer"},
        _an_open_lead()["Email"]: {"mdp_lead_score": "0.42", "hs_lead_status": "OPEN"},
        "new.person@zephyr.io": {"mdp_lead_score": "0.07", "firstname": "Nia"},
    }
    before = len(hub.portal.stores["contacts"])
    result = _upsert(client, list(sent.items()))
    assert result.status == "COMPLETE"
    assert [r.new for r in result.results] == [False, False, True]
    assert len(hub.portal.stores["contacts"]) == before + 1

    fields = ["email", "mdp_lead_score", "lifecyclestage", "hs_lead_status", "firstname"]
    read = _read_by_email(client, list(sent), fields)
    assert isinstance(read, hs_contacts.BatchResponseSimplePublicObject)
    back = {r.properties["email"]: r.properties for r in read.results}
    assert {email: {k: back[email][k] for k in values} for email, values in sent.items()} == sent
    assert [r.id for r in read.results] == [r.id for r in result.results]


def test_a_second_identical_upsert_changes_nothing(emulator) -> None:
    hub, client = emulator
    _create_score_property(client)
    lead = _an_open_lead()["Email"]
    rows = [(lead, {"mdp_lead_score": "0.5"}), ("x@new.io", {"mdp_lead_score": "0.1"})]
    first = _upsert(client, rows)
    size = len(hub.portal.stores["contacts"])
    second = _upsert(client, rows)
    assert [r.new for r in second.results] == [False, False]
    assert [r.id for r in second.results] == [r.id for r in first.results]
    assert [r.updated_at for r in second.results] == [r.updated_at for r in first.results]
    assert len(hub.portal.stores["contacts"]) == size
    changed = _upsert(client, [(lead, {"mdp_lead_score": "0.6"})]).results[0]
    assert changed.updated_at > first.results[0].updated_at


def test_an_unknown_property_rejects_the_whole_batch(emulator) -> None:
    hub, client = emulator
    size = len(hub.portal.stores["contacts"])
    with pytest.raises(ApiException) as refused:
        _upsert(client, [("a@b.io", {"firstname": "A"}), ("c@d.io", {"mdp_lead_score": "1"})])
    assert refused.value.status == 400
    body = json.loads(refused.value.body)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: [")
    assert json.loads(body["message"].split(": ", 1)[1])[0]["error"] == "PROPERTY_DOESNT_EXIST"
    assert body["errors"] == [
        {
            "message": 'Property "mdp_lead_score" does not exist',
            "code": "PROPERTY_DOESNT_EXIST",
            "context": {"propertyName": ["mdp_lead_score"]},
        }
    ]
    assert len(hub.portal.stores["contacts"]) == size


def test_invalid_values_are_validation_errors(emulator) -> None:
    _, client = emulator
    _create_score_property(client)
    with pytest.raises(ApiException) as refused:
        _upsert(client, [("cy@orbit.ai", {"mdp_lead_score": "high", "lifecyclestage": "vip"})])
    codes = [e["code"] for e in json.loads(refused.value.body)["errors"]]
    assert codes == ["INVALID_DECIMAL", "INVALID_OPTION"]


def test_more_than_100_inputs_is_a_validation_error(emulator) -> None:
    _, client = emulator
    with pytest.raises(ApiException) as refused:
        _upsert(client, [(f"p{i}@bulk.io", {"firstname": "P"}) for i in range(101)])
    assert refused.value.status == 400
    body = json.loads(refused.value.body)
    assert body["category"] == "VALIDATION_ERROR" and "100" in body["message"]
    assert len(_upsert(client, [(f"p{i}@bulk.io", {}) for i in range(100)]).results) == 100


def test_batch_read_of_missing_ids_is_a_207_with_errors(emulator) -> None:
    _, client = emulator
    person = _a_contact()
    result = _read_by_email(client, [person["Email"], "nobody@nowhere.io"], ["firstname"])
    assert isinstance(result, hs_contacts.BatchResponseSimplePublicObjectWithErrors)
    assert [r.properties["firstname"] for r in result.results] == [person["FirstName"]]
    assert result.num_errors == 1
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["nobody@nowhere.io"]}


def test_batch_create_and_update(emulator) -> None:
    _, client = emulator
    create = hs_contacts.BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[hs_contacts.SimplePublicObjectInputForCreate(properties={"email": "z@z.io"})]
    )
    created = client.crm.contacts.batch_api.create(create).results[0]
    with pytest.raises(ApiException) as conflict:
        client.crm.contacts.batch_api.create(create)
    assert conflict.value.status == 409
    assert json.loads(conflict.value.body)["message"] == (
        f"Contact already exists. Existing ID: {created.id}"
    )
    update = hs_contacts.BatchInputSimplePublicObjectBatchInput(
        inputs=[
            hs_contacts.SimplePublicObjectBatchInput(id=created.id, properties={"jobtitle": "CEO"})
        ]
    )
    assert client.crm.contacts.batch_api.update(update).results[0].properties["jobtitle"] == "CEO"


def test_custom_unique_property_is_an_upsert_key_for_companies(emulator) -> None:
    _, client = emulator
    client.crm.properties.core_api.create(
        "companies",
        PropertyCreate(
            name="mdp_account_key",
            label="MDP account key",
            type="string",
            field_type="text",
            group_name="companyinformation",
            has_unique_value=True,
        ),
    )
    names = [p.name for p in client.crm.properties.core_api.get_all("companies").results]
    assert "mdp_account_key" in names
    upsert = hs_companies.BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            hs_companies.SimplePublicObjectBatchInputUpsert(
                id="K-1", id_property="mdp_account_key", properties={"name": "Keyed Co"}
            )
        ]
    )
    assert client.crm.companies.batch_api.upsert(upsert).results[0].new is True
    assert client.crm.companies.batch_api.upsert(upsert).results[0].new is False
    by_name = hs_companies.BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            hs_companies.SimplePublicObjectBatchInputUpsert(
                id="Keyed Co", id_property="name", properties={}
            )
        ]
    )
    with pytest.raises(CompaniesApiException) as refused:
        client.crm.companies.batch_api.upsert(by_name)
    assert json.loads(refused.value.body)["category"] == "VALIDATION_ERROR"


def test_creating_an_existing_property_is_a_conflict(emulator) -> None:
    _, client = emulator
    _create_score_property(client)
    with pytest.raises(Exception) as conflict:
        _create_score_property(client)
    assert conflict.value.status == 409
    assert "already exists" in json.loads(conflict.value.body)["message"]


def test_a_wrong_token_is_invalid_authentication(emulator) -> None:
    hub, _ = emulator
    with pytest.raises(UnauthorizedException) as denied:
        _client(hub, token="pat-na1-not-the-right-one").crm.contacts.basic_api.get_page()
    body = json.loads(denied.value.body)
    assert denied.value.status == 401
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["message"].startswith("Authentication credentials not found.")


def _only(kind: str, tmp_path: Path) -> Iterator[tuple[HubSpotEmulator, HubSpot]]:
    return _running(FaultConfig(rate=1.0, kinds=(kind,), slow_seconds=0.5), tmp_path)


def test_rate_limit_is_a_429_with_hubspot_headers(tmp_path: Path) -> None:
    for hub, client in _only("rate_limit", tmp_path):
        with pytest.raises(ApiException) as limited:
            client.crm.contacts.basic_api.get_page()
        # urllib3's default Retry honours Retry-After on a 429: 3 retries before the client raises.
        assert hub.faults.injected == {"rate_limit": 4}
    assert limited.value.status == 429
    body = json.loads(limited.value.body)
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "SECONDLY")
    assert body["message"] == "You have reached your secondly limit."
    headers = limited.value.headers
    assert headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"
    assert headers["Retry-After"] == "1"


def test_server_errors_are_502_then_503_service_exceptions(tmp_path: Path) -> None:
    statuses = []
    for _, client in _only("server_error", tmp_path):
        for _ in range(2):
            with pytest.raises(CompaniesServiceException) as failed:
                client.crm.companies.basic_api.get_page()
            statuses.append(failed.value.status)
    assert statuses == [502, 503]
    assert not issubclass(CompaniesServiceException, ServiceException)


def test_an_expired_token_is_expired_authentication(tmp_path: Path) -> None:
    for _, client in _only("expired_token", tmp_path):
        with pytest.raises(UnauthorizedException) as expired:
            client.crm.contacts.basic_api.get_page()
    assert json.loads(expired.value.body)["category"] == "EXPIRED_AUTHENTICATION"


def test_a_slow_answer_times_out_in_the_client(tmp_path: Path) -> None:
    for _, client in _only("timeout", tmp_path):
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            # A POST, so urllib3 does not retry the read timeout.
            _read_by_email(client, [_a_contact()["Email"]], [], _request_timeout=0.2)


def test_partial_batch_fails_every_fourth_upsert_input(tmp_path: Path) -> None:
    faults = FaultConfig(data_faults=frozenset({PARTIAL_BATCH}))
    for hub, client in _running(faults, tmp_path):
        rows = [(f"p{i}@partial.io", {"firstname": f"P{i}"}) for i in range(1, 10)]
        result = _upsert(client, rows)
        assert isinstance(result, hs_contacts.BatchResponseSimplePublicUpsertObjectWithErrors)
        assert [e.context["ids"] for e in result.errors] == [["p4@partial.io"], ["p8@partial.io"]]
        assert {e.category for e in result.errors} == {"CONFLICT"}
        assert len(result.results) == 7 and result.num_errors == 2
        assert hub.portal.stores["contacts"].lookup("email").keys() >= {
            f"p{i}@partial.io" for i in (1, 2, 3, 5, 6, 7, 9)
        }
        assert "p4@partial.io" not in hub.portal.stores["contacts"].lookup("email")


def test_fault_sequences_replay_for_the_same_seed(tmp_path: Path) -> None:
    def statuses() -> list[int]:
        faults = FaultConfig(rate=0.5, kinds=("server_error", "expired_token"), seed=7)
        out = []
        for _, client in _running(faults, tmp_path):
            for _ in range(12):
                try:
                    client.crm.contacts.basic_api.get_page(limit=1)
                    out.append(200)
                except ApiException as failed:
                    out.append(failed.status)
        return out

    first = statuses()
    assert first == statuses()
    assert {200, 401} <= set(first) and set(first) & {502, 503}


def test_the_score_properties_an_admin_created_are_listed_with_their_types(
    tmp_path: Path,
) -> None:
    emulator = HubSpotEmulator(score_properties=True)
    info = emulator.start(_world(), FaultConfig(), tmp_path)
    try:
        client = HubSpot(access_token=ACCESS_TOKEN, host=info.connections["mdp_hubspot"]["host"])
        contacts = {p.name: p for p in client.crm.properties.core_api.get_all("contacts").results}
        companies = {p.name: p for p in client.crm.properties.core_api.get_all("companies").results}
    finally:
        emulator.stop()
    score = contacts["mdp_lead_score"]
    assert (score.type, score.field_type) == ("number", "number") and score.description
    assert [o.value for o in contacts["mdp_lead_tier"].options] == ["Hot", "Warm", "Cold"]
    assert contacts["mdp_lead_score_reasons"].field_type == "textarea"
    assert (contacts["mdp_lead_scored_at"].type, contacts["mdp_lead_scored_at"].field_type) == (
        "datetime",
        "date",
    )
    for horizon in ("1m", "3m"):
        level = companies[f"mdp_churn_risk_level_{horizon}"]
        assert [o.value for o in level.options] == ["High", "Medium", "Low"]
        assert companies[f"mdp_churn_risk_scored_at_{horizon}"].type == "datetime"
    assert companies["mdp_predicted_ltv"].show_currency_symbol is True
    assert companies["mdp_ltv_scored_at"].type == "datetime"
