"""Acceptance: the CRM sync against the HubSpot emulator (CRM v3 batch upsert)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubspot import HubSpot

from activation.crm import run_sync
from activation.crm.hubspot import HubSpotCrm
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.hubspot import PARTIAL_BATCH
from tests.activation.crm.conftest import SNAPSHOT, query


def _settings(**sync: str) -> Any:
    from mdp.settings import load_settings

    return load_settings(**{"sync": sync} if sync else {})


def _contacts(connection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """salesforceleadid → properties, read back with an independent client."""
    client = HubSpot(access_token=connection["password"], host=connection["host"])
    names = [
        "salesforceleadid",
        "mdp_lead_score",
        "mdp_lead_tier",
        "mdp_lead_model_version",
        "mdp_lead_scored_at",
        "mdp_lead_score_reasons",
    ]
    return {
        r.properties["salesforceleadid"]: r.properties
        for r in client.crm.contacts.get_all(properties=names)
        if r.properties.get("salesforceleadid")
    }


def _companies(connection: dict[str, Any]) -> dict[str, dict[str, Any]]:
    client = HubSpot(access_token=connection["password"], host=connection["host"])
    names = [
        "salesforceaccountid",
        *(f"mdp_churn_risk_{h}" for h in ("1m", "3m")),
        *(f"mdp_churn_risk_level_{h}" for h in ("1m", "3m")),
        *(f"mdp_churn_risk_scored_at_{h}" for h in ("1m", "3m")),
        "mdp_predicted_ltv",
        "mdp_ltv_scored_at",
    ]
    return {
        r.properties["salesforceaccountid"]: r.properties
        for r in client.crm.companies.get_all(properties=names)
    }


def _expected(path: Path) -> tuple[dict[str, tuple[int, str]], dict[str, tuple[int, str]]]:
    leads = query(
        path,
        f"select * from scores.lead_scores where feature_snapshot_date = date '{SNAPSHOT}'",
    )
    churn = query(path, "select * from scores.churn_scores where horizon_months = 3")
    return (
        {r["lead_id"]: (r["score"], r["tier"]) for r in leads},
        {r["account_id"]: (r["risk_score"], r["risk_level"]) for r in churn},
    )


def _lead_mismatches(contacts: dict[str, dict[str, Any]], leads: dict[str, Any]) -> set[str]:
    return {
        key
        for key, props in contacts.items()
        if key in leads
        and (
            props["mdp_lead_score"] is None
            or int(props["mdp_lead_score"]) != leads[key][0]
            or props["mdp_lead_tier"] != leads[key][1]
        )
    }


def test_sync_matches_contacts_and_companies_and_a_second_run_sends_nothing(
    warehouse: Path, start_emulator: Any
) -> None:
    portal = start_emulator("hubspot")
    first = run_sync(_settings(), "hubspot")
    contacts, companies = _contacts(portal["connection"]), _companies(portal["connection"])
    leads, accounts = _expected(warehouse)
    in_portal = set(contacts) & set(leads)
    assert in_portal and not _lead_mismatches(contacts, leads)
    # leads the portal does not hold (converted, no email) are skipped, never created
    assert first.skipped == len(set(leads) - set(contacts))
    assert {
        k: (int(v["mdp_churn_risk_3m"]), v["mdp_churn_risk_level_3m"]) for k, v in companies.items()
    } == {k: v for k, v in accounts.items() if k in companies}
    # every scored object carries its scoring time, in HubSpot too
    assert all(v["mdp_churn_risk_scored_at_1m"] for v in companies.values())
    assert all(contacts[k]["mdp_lead_scored_at"] for k in in_portal)
    assert all(contacts[k]["mdp_lead_model_version"] == "mdp_lead_scoring v3" for k in in_portal)
    ltv = {
        r["customer_id"]: r["predicted_ltv"]
        for r in query(
            warehouse, "select * from scores.customer_ltv where ltv_type = 'contractual'"
        )
    }
    assert {
        k: float(v["mdp_predicted_ltv"]) for k, v in companies.items() if v["mdp_predicted_ltv"]
    } == {k: float(int(v + 0.5)) for k, v in ltv.items()}  # whole units
    assert all(v["mdp_ltv_scored_at"] for v in companies.values() if v["mdp_predicted_ltv"])
    second = run_sync(_settings(), "hubspot")
    assert (second.sent, second.failed) == (0, 0)
    assert second.in_scope == first.in_scope == first.sent


def test_partial_batches_and_rate_limits_converge(warehouse: Path, start_emulator: Any) -> None:
    from mdp.runtime.connections import get_connection

    portal = start_emulator(
        "hubspot",
        FaultConfig(
            rate=0.3, kinds=("rate_limit",), seed=5, data_faults=frozenset({PARTIAL_BATCH})
        ),
    )
    settings = _settings(max_error_rate="0.5", hubspot_batch_size="10")
    waits: list[float] = []
    conn = get_connection("mdp_hubspot")

    def client() -> HubSpotCrm:
        return HubSpotCrm(conn.password, settings.sync, conn.host, sleep=waits.append)

    first = run_sync(settings, "hubspot", client=client())
    errors = query(warehouse, "select * from activation.sync_errors")
    assert first.failed == len(errors) > 0 and {e["error_code"] for e in errors} == {"CONFLICT"}
    assert waits and set(waits) == {1.0}  # Retry-After: 1 honoured
    leads, _ = _expected(warehouse)
    failed = {e["record_key"] for e in errors if e["object"] == "lead_score"}
    assert _lead_mismatches(_contacts(portal["connection"]), leads) == failed
    for _ in range(6):  # every 4th input of a batch fails again: retries shrink to nothing
        if not run_sync(settings, "hubspot", client=client()).failed:
            break
    assert not _lead_mismatches(_contacts(portal["connection"]), leads)
    assert not query(warehouse, "select * from activation.sync_errors where resolved_at is null")
    text = " ".join(str(r) for r in query(warehouse, "select * from activation.sync_log"))
    assert conn.password not in text
