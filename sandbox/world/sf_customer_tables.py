"""Salesforce tables of the customer side: Account, Contact, Case, Subscription__c, usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from sandbox.world.arrow_columns import dates, timestamps
from sandbox.world.channels import CHANNELS
from sandbox.world.config import WorldConfig
from sandbox.world.customers import CustomerHistory
from sandbox.world.leads import LEAD_SOURCE
from sandbox.world.rng import stream
from sandbox.world.sales_team import CSM, SalesTeam
from sandbox.world.sf_records import auto_numbers, modstamps
from sandbox.world.sf_time import latest, month_start, visible, world_end
from sandbox.world.vocab import COUNTRIES, INDUSTRIES

if TYPE_CHECKING:
    from sandbox.world.crm import CrmFrames

_REVENUE_PER_EMPLOYEE = 180_000.0


def customer_tables(
    config: WorldConfig, team: SalesTeam, frames: CrmFrames, history: CustomerHistory
) -> dict[str, pa.Table]:
    end = world_end(config)
    rng = stream(config, "sf_customer_tables")
    return {
        "sf_account": _accounts(rng, config, team, frames, end),
        "sf_contact": _contacts(team, frames),
        "sf_case": _cases(rng, team, frames, end),
        "sf_subscription": _subscriptions(frames),
        "sf_product_usage": _usage(frames),
    }


def enrichment_runs(config: WorldConfig) -> np.ndarray:
    """A nightly-batch roll-up touches every account at 03:00:00 UTC on the 1st of each month."""
    months = np.arange(np.datetime64(config.start, "M"), np.datetime64(config.end, "M") + 1)
    return month_start(months) + np.timedelta64(3 * 3_600, "s")


def _accounts(
    rng: np.random.Generator,
    config: WorldConfig,
    team: SalesTeam,
    frames: CrmFrames,
    end: np.datetime64,
) -> pa.Table:
    a = frames.accounts
    subs = frames.subscriptions.sort_values(["account", "start_date"], kind="stable")
    first = subs.groupby("account").first().reindex(range(len(a)))
    last = subs.groupby("account").last().reindex(range(len(a)))
    became_customer = first["created"].to_numpy()
    churned = (last["status"] == "Cancelled").to_numpy()
    modified = latest(
        a["created"].to_numpy(),
        became_customer,
        np.where(churned, last["modified"].to_numpy(), np.datetime64("NaT", "s")),
    )
    runs = enrichment_runs(config)
    runs = runs[visible(runs, end)]
    touched = runs[
        np.searchsorted(runs, a["created"].to_numpy(), side="right").clip(max=len(runs) - 1)
    ]
    system = latest(modified, np.where(touched > a["created"].to_numpy(), touched, modified))
    customer = first["status"].notna().to_numpy()
    employees = a["employees"].to_numpy()
    revenue = np.round(employees * _REVENUE_PER_EMPLOYEE * rng.lognormal(0, 0.4, len(a)), -3)
    return pa.table(
        {
            "Id": a["Id"].to_numpy(),
            "Name": a["company"].to_numpy(),
            "Type": np.select([churned, customer], ["Former Customer", "Customer"], "Prospect"),
            "Industry": np.array([i.name for i in INDUSTRIES])[a["industry"]],
            "NumberOfEmployees": employees,
            "AnnualRevenue": revenue,
            "BillingCountry": np.array([c.name for c in COUNTRIES])[a["country"]],
            "Website": np.char.add("https://www.", a["domain"].to_numpy().astype(str)),
            "OwnerId": team.ids[a["owner"]],
            "Customer_Since__c": dates(first["start_date"].to_numpy()),
            "Plan__c": pa.array(np.where(customer & ~churned, last["plan"], None), pa.string()),
            "CreatedDate": timestamps(a["created"].to_numpy()),
            "LastModifiedDate": timestamps(modified),
            "SystemModstamp": timestamps(system),
            "IsDeleted": np.zeros(len(a), dtype=bool),
        }
    ).sort_by("CreatedDate")


def _contacts(team: SalesTeam, frames: CrmFrames) -> pa.Table:
    c = frames.contacts
    leads, accounts = frames.leads, frames.accounts
    lead = c["lead"].to_numpy()
    lead_channel = leads["channel"].to_numpy()[np.maximum(lead, 0)]
    from_lead = [LEAD_SOURCE[CHANNELS[k]] for k in lead_channel]
    account_source = accounts["lead_source"].to_numpy()[c["account"]]
    source = np.where(lead >= 0, from_lead, np.where(account_source == "", "Other", account_source))
    modified, modstamp = modstamps(c, np.full(len(c), np.datetime64("NaT", "s")))
    return pa.table(
        {
            "Id": c["Id"].to_numpy(),
            "AccountId": accounts["Id"].to_numpy()[c["account"]],
            "FirstName": c["first_name"].to_numpy(),
            "LastName": c["last_name"].to_numpy(),
            "Email": c["email"].to_numpy(),
            "Title": c["title"].to_numpy(),
            "LeadSource": source,
            "OwnerId": team.ids[c["owner"]],
            "CreatedDate": timestamps(c["created"].to_numpy()),
            "LastModifiedDate": timestamps(modified),
            "SystemModstamp": timestamps(modstamp),
            "IsDeleted": c["is_deleted"].to_numpy(),
        }
    ).sort_by("CreatedDate")


def _case_contacts(rng: np.random.Generator, frames: CrmFrames) -> np.ndarray:
    """A random contact of the case's account that existed when the case was opened (-1: none)."""
    contacts = frames.contacts.loc[~frames.contacts["is_deleted"]]
    cases = frames.cases
    seconds = {
        name: frame["created"].to_numpy().astype("datetime64[s]").astype(np.int64)
        for name, frame in (("contacts", contacts), ("cases", cases))
    }
    origin = min(seconds["contacts"].min(initial=0), seconds["cases"].min(initial=0))
    span = np.int64(1) << 33

    def key(account: np.ndarray, at: np.ndarray) -> np.ndarray:
        return account.astype(np.int64) * span + (at - origin)

    contact_key = key(contacts["account"].to_numpy(), seconds["contacts"])
    order = np.argsort(contact_key)
    sorted_key = contact_key[order]
    account = cases["account"].to_numpy()
    lo = np.searchsorted(sorted_key, key(account, np.full(len(cases), origin)), side="left")
    hi = np.searchsorted(sorted_key, key(account, seconds["cases"]), side="right")
    pick = lo + (rng.random(len(cases)) * (hi - lo)).astype(np.int64)
    return np.where(hi > lo, contacts.index.to_numpy()[order][np.minimum(pick, len(order) - 1)], -1)


def _cases(
    rng: np.random.Generator, team: SalesTeam, frames: CrmFrames, end: np.datetime64
) -> pa.Table:
    c = frames.cases
    contact = _case_contacts(rng, frames)
    contact_ids = np.r_[frames.contacts["Id"].to_numpy().astype(object), [None]]
    closed = ~np.isnat(c["closed"].to_numpy())
    recent = c["created"].to_numpy() >= end - np.timedelta64(86_400, "s")
    modified, modstamp = modstamps(c, c["closed"].to_numpy())
    csm = team.of(CSM)
    return pa.table(
        {
            "Id": c["Id"].to_numpy(),
            "CaseNumber": auto_numbers("", c["created"].to_numpy(), 8),
            "AccountId": frames.accounts["Id"].to_numpy()[c["account"]],
            "ContactId": pa.array(contact_ids[np.where(contact >= 0, contact, -1)], pa.string()),
            "Subject": c["subject"].to_numpy(),
            "Type": c["type"].to_numpy(),
            "Status": np.select([closed, recent], ["Closed", "New"], "Working"),
            "Priority": c["priority"].to_numpy(),
            "Origin": c["origin"].to_numpy(),
            "IsClosed": closed,
            "OwnerId": team.ids[csm[c["account"].to_numpy() % len(csm)]],
            "CreatedDate": timestamps(c["created"].to_numpy()),
            "ClosedDate": timestamps(c["closed"].to_numpy()),
            "LastModifiedDate": timestamps(modified),
            "SystemModstamp": timestamps(modstamp),
            "IsDeleted": c["is_deleted"].to_numpy(),
        }
    ).sort_by("CreatedDate")


def _subscriptions(frames: CrmFrames) -> pa.Table:
    s = frames.subscriptions
    return pa.table(
        {
            "Id": s["Id"].to_numpy(),
            "Name": auto_numbers("SUB-", s["created"].to_numpy(), 6),
            "Account__c": frames.accounts["Id"].to_numpy()[s["account"]],
            "Plan__c": s["plan"].to_numpy(),
            "Seats__c": s["seats"].to_numpy(),
            "MRR__c": s["mrr"].to_numpy(),
            "Start_Date__c": dates(s["start_date"].to_numpy()),
            "End_Date__c": dates(s["end_date"].to_numpy()),
            "Status__c": s["status"].to_numpy(),
            "CreatedDate": timestamps(s["created"].to_numpy()),
            "LastModifiedDate": timestamps(s["modified"].to_numpy()),
            "SystemModstamp": timestamps(s["modified"].to_numpy()),
            "IsDeleted": np.zeros(len(s), dtype=bool),
        }
    ).sort_by("CreatedDate")


def _usage(frames: CrmFrames) -> pa.Table:
    u = frames.usage
    return pa.table(
        {
            "Id": u["Id"].to_numpy(),
            "Name": auto_numbers("PU-", u["created"].to_numpy(), 7),
            "Account__c": frames.accounts["Id"].to_numpy()[u["account"]],
            "Month__c": dates(u["month"].to_numpy()),
            "Active_Users__c": u["active_users"].to_numpy(),
            "Events__c": u["events"].to_numpy(),
            "Seats__c": u["seats"].to_numpy(),
            "CreatedDate": timestamps(u["created"].to_numpy()),
            "LastModifiedDate": timestamps(u["created"].to_numpy()),
            "SystemModstamp": timestamps(u["created"].to_numpy()),
            "IsDeleted": np.zeros(len(u), dtype=bool),
        }
    ).sort_by("CreatedDate")
