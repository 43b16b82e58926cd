"""Fill the portal from the world's Salesforce tables: accounts → companies, people → contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from sandbox.emulators.hubspot.portal import Portal, as_text
from sandbox.emulators.hubspot.properties import PORTAL_CREATED

Row = dict[str, Any]
#: Salesforce lead status → (HubSpot lifecycle stage, HubSpot lead status). Converted leads are
#: represented by their Salesforce contact instead.
LEAD_STAGES = {
    "Open": ("lead", "NEW"),
    "MQL": ("marketingqualifiedlead", "OPEN"),
    "SQL": ("salesqualifiedlead", "IN_PROGRESS"),
    "Disqualified": ("other", "UNQUALIFIED"),
}
#: Salesforce account type → HubSpot lifecycle stage (of the company and its contacts).
ACCOUNT_STAGES = {"Customer": "customer", "Former Customer": "other", "Prospect": "opportunity"}


def seed_portal(portal: Portal, tables: Mapping[str, pa.Table]) -> None:
    """Companies from live `sf_account` rows; contacts from live `sf_contact` rows and from
    unconverted `sf_lead` rows, in creation order, one per email (contacts win)."""
    accounts = {row["Id"]: row for row in _live(tables["sf_account"])}
    companies = portal.stores["companies"]
    company_ids = {}
    for row in sorted(accounts.values(), key=_created):
        company_ids[row["Id"]] = companies.add(_company(row), _created(row)).id
    people = [
        (_created(row), _contact(row, accounts.get(row["AccountId"]), company_ids))
        for row in _live(tables["sf_contact"])
    ]
    people += [
        (_created(row), _lead(row))
        for row in _live(tables["sf_lead"])
        if row.get("Status") in LEAD_STAGES and row.get("Email")
    ]
    unique: dict[str, tuple[dt.datetime, dict[str, str]]] = {}
    for created, values in people:
        email = values.get("email")
        if email and email not in unique:
            unique[email] = (created, values)
    contacts = portal.stores["contacts"]
    for created, values in sorted(unique.values(), key=lambda p: (p[0], p[1]["email"])):
        contacts.add(values, created)


def _live(table: pa.Table) -> list[Row]:
    return [row for row in table.to_pylist() if not row.get("IsDeleted")]


def _created(row: Row) -> dt.datetime:
    created = row.get("CreatedDate")
    if not isinstance(created, dt.datetime):
        return PORTAL_CREATED
    return created if created.tzinfo else created.replace(tzinfo=dt.UTC)


def _text(values: Mapping[str, Any]) -> dict[str, str]:
    return {name: as_text(name, value) for name, value in values.items() if value is not None}


def _company(row: Row) -> dict[str, str]:
    website = str(row.get("Website") or "")
    return _text(
        {
            "name": row.get("Name"),
            "domain": website.removeprefix("https://").removeprefix("http://").removeprefix("www."),
            "industry": row.get("Industry"),
            "numberofemployees": row.get("NumberOfEmployees"),
            "country": row.get("BillingCountry"),
            "lifecyclestage": ACCOUNT_STAGES.get(str(row.get("Type")), "opportunity"),
            "salesforceaccountid": row["Id"],
        }
    )


def _contact(row: Row, account: Row | None, company_ids: Mapping[str, int]) -> dict[str, str]:
    account = account or {}
    return _text(
        {
            "email": row.get("Email"),
            "firstname": row.get("FirstName"),
            "lastname": row.get("LastName"),
            "jobtitle": row.get("Title"),
            "company": account.get("Name"),
            "country": account.get("BillingCountry"),
            "lifecyclestage": ACCOUNT_STAGES.get(str(account.get("Type")), "opportunity"),
            "associatedcompanyid": company_ids.get(row.get("AccountId") or ""),
            "salesforcecontactid": row["Id"],
        }
    )


def _lead(row: Row) -> dict[str, str]:
    stage, status = LEAD_STAGES[row["Status"]]
    return _text(
        {
            "email": row.get("Email"),
            "firstname": row.get("FirstName"),
            "lastname": row.get("LastName"),
            "jobtitle": row.get("Title"),
            "company": row.get("Company"),
            "country": row.get("Country"),
            "lifecyclestage": stage,
            "hs_lead_status": status,
            "salesforceleadid": row["Id"],
        }
    )
