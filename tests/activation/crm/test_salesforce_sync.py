"""Acceptance: the CRM sync against the Salesforce emulator (Bulk API 2.0 upsert jobs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute
import pytest
import requests
from simple_salesforce import Salesforce

from activation.crm import run_sync
from activation.crm.errors import CrmFieldError, GuardrailError, SyncErrorRateError
from sandbox.emulators.faults import FaultConfig
from tests.activation.crm.conftest import OLD_SNAPSHOT, SNAPSHOT, query, write_scores

LEAD_FIELDS = (
    "Lead_Score__c, Lead_Score_Tier__c, Lead_Score_Reasons__c, Lead_Score_Model_Version__c, "
    "Lead_Score_Date__c"
)
ACCOUNT_FIELDS = ", ".join(
    [
        *(
            f"Churn_Risk_{h}__c, Churn_Risk_Level_{h}__c, Churn_Risk_Reasons_{h}__c, "
            f"Churn_Risk_Model_Version_{h}__c, Churn_Risk_Date_{h}__c"
            for h in ("1M", "3M")
        ),
        "Predicted_LTV__c, Predicted_LTV_Date__c, LTV_Model_Version__c",
    ]
)


def _settings(**env: str) -> Any:
    from mdp.settings import load_settings

    return load_settings(**{"sync": env} if env else {})


def _sf(connection: dict[str, Any]) -> Salesforce:
    """An independent client (not the sync's) to read the org back."""
    session = requests.Session()
    session.trust_env = False
    session.verify = connection["extra"]["ca_bundle"]
    grant = session.post(
        connection["extra"]["token_url"],
        data={
            "grant_type": "refresh_token",
            "client_id": connection["login"],
            "client_secret": connection["password"],
            "refresh_token": connection["extra"]["refresh_token"],
        },
    ).json()
    return Salesforce(
        instance_url=grant["instance_url"],
        session_id=grant["access_token"],
        session=session,
        version="59.0",
    )


def _crm(sf: Salesforce, sobject: str, fields: str) -> dict[str, dict[str, Any]]:
    rows = sf.query_all(f"SELECT Id, SystemModstamp, {fields} FROM {sobject}")["records"]
    return {r["Id"]: r for r in rows}


def _expected_leads(path: Path) -> dict[str, dict[str, Any]]:
    """What the warehouse says each lead should hold: its latest snapshot's row."""
    rows = query(
        path,
        "select * from scores.lead_scores where feature_snapshot_date = "
        f"date '{SNAPSHOT.isoformat()}'",
    )
    return {
        r["lead_id"]: {
            "Lead_Score__c": r["score"],
            "Lead_Score_Tier__c": r["tier"],
            "Lead_Score_Reasons__c": "\n".join(
                x for x in (r["reason_1"], r["reason_2"], r["reason_3"]) if x
            ),
            "Lead_Score_Model_Version__c": f"{r['model_name']} v{r['model_version']}",
            "Lead_Score_Date__c": "2026-01-01T06:00:00.000+0000",
        }
        for r in rows
    }


def _expected_accounts(path: Path) -> dict[str, dict[str, Any]]:
    ltv = {
        r["customer_id"]: r["predicted_ltv"]
        for r in query(path, "select * from scores.customer_ltv where ltv_type = 'contractual'")
    }
    expected: dict[str, dict[str, Any]] = {}
    for r in query(path, "select * from scores.churn_scores order by horizon_months"):
        h = r["horizon"]
        expected.setdefault(r["account_id"], {}).update(
            {
                f"Churn_Risk_{h}__c": r["risk_score"],
                f"Churn_Risk_Level_{h}__c": r["risk_level"],
                f"Churn_Risk_Reasons_{h}__c": "\n".join(
                    (r["reason_1"], r["reason_2"], r["reason_3"])
                ),
                f"Churn_Risk_Model_Version_{h}__c": f"{r['model_name']} v{r['model_version']}",
            }
        )
    for key, values in expected.items():
        value = ltv.get(key)  # whole units, rounded half up as the CRM would
        values["Predicted_LTV__c"] = None if value is None else float(int(value + 0.5))
    return expected


def _holds(crm: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> set[str]:
    """Ids whose CRM record carries exactly the expected values."""
    return {
        key
        for key, values in expected.items()
        if key in crm and all(crm[key][f] == v for f, v in values.items())
    }


def test_sync_leaves_exactly_the_warehouse_scores_and_a_second_run_sends_nothing(
    warehouse: Path, start_emulator: Any
) -> None:
    org = start_emulator("salesforce")
    first = run_sync(_settings(), "salesforce")
    sf = _sf(org["connection"])
    leads, accounts = _crm(sf, "Lead", LEAD_FIELDS), _crm(sf, "Account", ACCOUNT_FIELDS)
    expected_leads, expected_accounts = _expected_leads(warehouse), _expected_accounts(warehouse)
    assert _holds(leads, expected_leads) == set(expected_leads)
    assert _holds(accounts, expected_accounts) == set(expected_accounts)
    # nothing outside the mapping's records: leads without scores keep an empty score
    assert all(r["Lead_Score__c"] is None for i, r in leads.items() if i not in expected_leads)
    # leads, accounts once per churn horizon, customers once more for their value
    assert first.sent == len(expected_leads) + 2 * len(expected_accounts) + sum(
        v["Predicted_LTV__c"] is not None for v in expected_accounts.values()
    )
    assert first.failed == 0 and first.job_ids

    second = run_sync(_settings(), "salesforce")
    assert (second.sent, second.changed, second.status) == (0, 0, "succeeded")
    again = _crm(sf, "Lead", LEAD_FIELDS)
    assert {i: r["SystemModstamp"] for i, r in again.items()} == {
        i: r["SystemModstamp"] for i, r in leads.items()
    }
    log = query(warehouse, "select * from activation.sync_log order by started_at")
    assert [(r["status"], r["sent"], r["failed"]) for r in log] == [
        ("succeeded", first.sent, 0),
        ("succeeded", 0, 0),
    ]
    assert "lead_score:3" in log[0]["model_versions"] and log[0]["job_ids"].count("750") >= 4


def test_only_scores_moving_by_the_minimum_change_are_resent(
    warehouse: Path, start_emulator: Any, tiny_world: Any
) -> None:
    from tests.activation.crm.conftest import churn_scores, customer_ltv, lead_scores

    org = start_emulator("salesforce")
    run_sync(_settings(), "salesforce")
    leads = lead_scores(tiny_world)
    probability, score = leads["probability"].to_pylist(), leads["score"].to_pylist()
    latest = [i for i, d in enumerate(leads["feature_snapshot_date"].to_pylist()) if d == SNAPSHOT]
    small, large = latest[0], latest[1]
    probability[small] += 0.001  # the probability moves, the score people see does not
    score[large] = score[large] + 5 if score[large] < 90 else 50  # five points: re-sent
    for name, values in (("probability", probability), ("score", score)):
        leads = leads.set_column(leads.schema.get_field_index(name), name, [values])
    write_scores(
        warehouse,
        lead_scores=leads,
        churn_scores=churn_scores(tiny_world),
        customer_ltv=customer_ltv(tiny_world),
    )

    result = run_sync(_settings(), "salesforce")
    ids = leads["lead_id"].to_pylist()
    crm = _crm(_sf(org["connection"]), "Lead", LEAD_FIELDS)
    assert (result.sent, result.changed) == (1, 1)
    assert crm[ids[large]]["Lead_Score__c"] == score[large]
    assert crm[ids[small]]["Lead_Score__c"] == score[small]


def test_partial_failures_are_recorded_retried_and_converge(
    warehouse: Path, start_emulator: Any
) -> None:
    org = start_emulator("salesforce", FaultConfig(data_faults=frozenset({"bulk_partial"})))
    sf = _sf(org["connection"])
    expected = _expected_leads(warehouse)
    first = run_sync(_settings(max_error_rate="0.5"), "salesforce")
    errors = query(warehouse, "select * from activation.sync_errors where resolved_at is null")
    failed_leads = {e["record_key"] for e in errors if e["object"] == "lead_score"}
    assert first.failed == len(errors) > 0
    assert {e["error_code"] for e in errors} <= {
        "UNABLE_TO_LOCK_ROW",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
    }
    assert all(e["error_message"] and e["attempts"] == 1 for e in errors)
    # exactly the recorded leads are missing their score in the CRM
    assert set(expected) - _holds(_crm(sf, "Lead", LEAD_FIELDS), expected) == failed_leads

    second = run_sync(_settings(max_error_rate="0.5"), "salesforce")
    assert second.retried == len(errors) and second.changed == 0
    still = query(warehouse, "select * from activation.sync_errors where resolved_at is null")
    assert {e["error_code"] for e in still} == {"FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    assert all(e["attempts"] == 2 for e in still)
    permanent = {e["record_key"] for e in still if e["object"] == "lead_score"}
    assert set(expected) - _holds(_crm(sf, "Lead", LEAD_FIELDS), expected) == permanent
    # below the error-rate threshold the run succeeds; above it the task fails
    assert second.status == "succeeded"
    with pytest.raises(SyncErrorRateError, match="MAX_ERROR_RATE"):
        run_sync(_settings(max_error_rate="0.01"), "salesforce")
    log = query(warehouse, "select status, failed from activation.sync_log order by started_at")
    assert [r["status"] for r in log] == ["succeeded", "succeeded", "failed"]
    assert log[2]["failed"] == len(still)


def test_dry_run_stores_the_diff_and_writes_nothing(warehouse: Path, start_emulator: Any) -> None:
    org = start_emulator("salesforce")
    result = run_sync(_settings(), "salesforce", dry_run=True)
    crm = _crm(_sf(org["connection"]), "Lead", LEAD_FIELDS)
    assert all(r["Lead_Score__c"] is None for r in crm.values())
    expected = _expected_leads(warehouse)
    diffs = query(
        warehouse,
        "select * from activation.sync_diffs where object = 'lead_score' "
        "and crm_field = 'Lead_Score__c'",
    )
    assert {d["record_key"]: int(d["new_value"]) for d in diffs} == {
        k: v["Lead_Score__c"] for k, v in expected.items()
    }
    assert all(d["dry_run"] and d["old_value"] is None for d in diffs)
    assert result.status == "dry_run" and result.sent == 0
    assert not query(
        warehouse, "select * from information_schema.tables where table_name = 'sync_state'"
    )


def test_guardrail_stops_a_mass_change_unless_forced(
    warehouse: Path, start_emulator: Any, tiny_world: Any
) -> None:
    from tests.activation.crm.conftest import lead_scores

    org = start_emulator("salesforce")
    run_sync(_settings(), "salesforce")
    leads = lead_scores(tiny_world, seed=99)  # a new model: every lead's score moves
    write_scores(warehouse, lead_scores=leads)
    sf = _sf(org["connection"])
    before = _crm(sf, "Lead", LEAD_FIELDS)
    with pytest.raises(GuardrailError, match="--force"):
        run_sync(_settings(), "salesforce")
    assert _crm(sf, "Lead", LEAD_FIELDS) == before
    forced = run_sync(_settings(), "salesforce", force=True)
    assert forced.status == "succeeded" and forced.forced
    assert _holds(_crm(sf, "Lead", LEAD_FIELDS), _expected_leads(warehouse)) == set(
        _expected_leads(warehouse)
    )
    log = query(warehouse, "select status from activation.sync_log order by started_at")
    assert [r["status"] for r in log] == ["succeeded", "aborted", "succeeded"]


def test_a_field_the_crm_types_differently_stops_the_run_before_anything_is_sent(
    warehouse: Path, start_emulator: Any, tmp_path: Path
) -> None:
    from activation.crm.mapping import DEFAULT_PATH

    org = start_emulator("salesforce")
    bad = tmp_path / "mapping.yml"
    # the tier (text) mapped onto the score field (double), and a field the org lacks
    text = DEFAULT_PATH.read_text().replace(
        "salesforce: Lead_Score_Tier__c", "salesforce: Lead_Score__c"
    )
    bad.write_text(
        text.replace("salesforce: Churn_Risk_Reasons_3M__c", "salesforce: Churn_Story__c")
    )
    with pytest.raises(CrmFieldError) as refused:
        run_sync(_settings(mapping=str(bad)), "salesforce")
    message = str(refused.value)
    assert "Lead.Lead_Score__c: CRM type 'double' cannot hold string column 'tier'" in message
    assert "Account.Churn_Story__c: no such field (mapping 'churn_risk_3m')" in message
    sf = _sf(org["connection"])
    assert all(r["Lead_Score__c"] is None for r in _crm(sf, "Lead", LEAD_FIELDS).values())
    assert all(r["Churn_Risk_3M__c"] is None for r in _crm(sf, "Account", ACCOUNT_FIELDS).values())
    log = query(warehouse, "select status, sent, message from activation.sync_log")
    assert [(r["status"], r["sent"]) for r in log] == [("failed", 0)]
    assert "Churn_Story__c" in log[0]["message"]


def test_converted_disqualified_and_deleted_leads_are_never_sent(
    warehouse: Path, start_emulator: Any, tiny_world: Any
) -> None:
    """Leads scored in an older snapshot that have since closed are out of the latest one:
    the sync never sends them (and the emulator would refuse the converted ones)."""
    from tests.activation.crm.conftest import closed_leads, lead_scores, open_leads

    closed = closed_leads(tiny_world)
    # deleted leads never reach the marts (stg_salesforce__leads keeps `not isdeleted`)
    assert closed["converted"] and closed["disqualified"]
    old = lead_scores(tiny_world, ids=[*open_leads(tiny_world), *closed["converted"]])
    old = old.filter(pa.compute.equal(old["feature_snapshot_date"], pa.scalar(OLD_SNAPSHOT)))
    leaving = [*closed["converted"], *closed["disqualified"], *closed["deleted"]]
    write_scores(
        warehouse,
        lead_scores=pa.concat_tables(
            [old, lead_scores(tiny_world).filter(_on(SNAPSHOT, lead_scores(tiny_world)))]
        ),
    )
    org = start_emulator("salesforce")
    result = run_sync(_settings(), "salesforce")
    sent = {r["record_key"] for r in query(warehouse, "select * from activation.sync_state")}
    diffs = {r["record_key"] for r in query(warehouse, "select * from activation.sync_diffs")}
    assert result.failed == 0 and sent and not (sent | diffs) & set(leaving)
    crm = _crm(_sf(org["connection"]), "Lead", LEAD_FIELDS)
    assert all(crm[key]["Lead_Score__c"] is None for key in closed["converted"])


def _on(day: Any, table: pa.Table) -> Any:
    return pa.compute.equal(table["feature_snapshot_date"], pa.scalar(day))


def test_salesforce_refuses_a_converted_lead_and_the_sync_records_its_error(
    warehouse: Path, start_emulator: Any, tiny_world: Any
) -> None:
    """Were a converted lead ever scored, Salesforce's own refusal is what the sync records."""
    from tests.activation.crm.conftest import closed_leads, lead_scores, open_leads

    converted = closed_leads(tiny_world)["converted"][0]
    write_scores(
        warehouse, lead_scores=lead_scores(tiny_world, ids=[*open_leads(tiny_world), converted])
    )
    start_emulator("salesforce")
    result = run_sync(_settings(max_error_rate="0.5"), "salesforce")
    errors = query(warehouse, "select * from activation.sync_errors")
    assert [(e["record_key"], e["error_code"]) for e in errors] == [
        (converted, "CANNOT_UPDATE_CONVERTED_LEAD")
    ]
    assert errors[0]["error_message"] == "cannot reference converted lead"
    assert result.failed == 1 and result.succeeded == result.sent - 1


def test_a_customer_who_left_has_the_churn_and_value_fields_emptied(
    warehouse: Path, start_emulator: Any, tiny_world: Any
) -> None:
    from tests.activation.crm.conftest import churn_scores, customer_ltv

    org = start_emulator("salesforce")
    run_sync(_settings(), "salesforce")
    churn, ltv = churn_scores(tiny_world), customer_ltv(tiny_world)
    gone = ltv["customer_id"][0].as_py()  # a customer account that churned since
    churn = churn.filter(pa.compute.not_equal(churn["account_id"], pa.scalar(gone)))
    ltv = ltv.filter(pa.compute.not_equal(ltv["customer_id"], pa.scalar(gone)))
    write_scores(warehouse, churn_scores=churn, customer_ltv=ltv)

    result = run_sync(_settings(), "salesforce")
    assert result.left == 3 and result.sent == 3  # both horizons and the value, once each
    account = _crm(_sf(org["connection"]), "Account", ACCOUNT_FIELDS)[gone]
    assert account["Churn_Risk_3M__c"] is None and account["Predicted_LTV__c"] is None
    assert account["Churn_Risk_Level_1M__c"] is None
    again = run_sync(_settings(), "salesforce")
    assert (again.sent, again.left) == (0, 0)


def test_the_field_sheet_is_the_mapping() -> None:
    from activation.crm.fields import field_sheet
    from activation.crm.mapping import DEFAULT_PATH, load_mapping

    sheet = DEFAULT_PATH.with_name("FIELDS.md").read_text()
    assert sheet == field_sheet(load_mapping()), (
        "regenerate it: python -m activation.crm.fields > activation/crm/FIELDS.md"
    )
    for name in ("Lead_Score__c", "Churn_Risk_3M__c", "mdp_lead_score", "mdp_churn_risk_1m"):
        assert f"`{name}`" in sheet
