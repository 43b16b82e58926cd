"""The CRM simulation: leads → accounts and deals → customers → subscriptions, usage, cases."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world.accounts import account_frame, base_customers, contact_frame
from sandbox.world.channels import CHANNELS
from sandbox.world.config import WorldConfig
from sandbox.world.crm_campaigns import campaign_frame, primary_campaign, responses
from sandbox.world.customers import (
    CustomerHistory,
    initial_seats,
    month_grid,
    monthly_revenue,
    plan_for,
    simulate_customers,
)
from sandbox.world.delivery import Delivery
from sandbox.world.leads import LEAD_SOURCE, lead_frame
from sandbox.world.media_plan import MediaPlan
from sandbox.world.opportunities import new_business, renewals, seat_changes, stage_history
from sandbox.world.rng import stream
from sandbox.world.sales_team import build_sales_team
from sandbox.world.sf_customer_tables import customer_tables
from sandbox.world.sf_pipeline_tables import pipeline_tables
from sandbox.world.sf_records import ids_by_creation, with_deleted_copies
from sandbox.world.sf_time import in_month, visible, world_end
from sandbox.world.subscriptions import case_frame, subscription_frame, usage_frame
from sandbox.world.timeline import Timeline
from sandbox.world.web import Web


@dataclass(frozen=True)
class Crm:
    """Salesforce tables plus the simulation state that the truth tables are built from."""

    tables: dict[str, pa.Table]
    leads: pd.DataFrame  # with the Salesforce Id of each lead
    accounts: pd.DataFrame  # with Id
    history: CustomerHistory


@dataclass(frozen=True)
class CrmFrames:
    """Every CRM object as a frame, before it is shaped into Salesforce fields."""

    leads: pd.DataFrame
    accounts: pd.DataFrame
    contacts: pd.DataFrame
    opportunities: pd.DataFrame
    stages: pd.DataFrame
    campaigns: pd.DataFrame
    members: pd.DataFrame
    subscriptions: pd.DataFrame
    usage: pd.DataFrame
    cases: pd.DataFrame


def build_crm(
    config: WorldConfig,
    timeline: Timeline,
    plan: MediaPlan,
    delivery: Delivery,
    web: Web,
    ga4_events: pa.Table,
) -> Crm:
    """Simulate the sales and customer side and render it as Salesforce objects."""
    rng = stream(config, "crm")
    end = world_end(config)
    team = build_sales_team(config)
    first_month = np.datetime64(config.start, "M")
    base = base_customers(config, first_month)
    leads = lead_frame(config, web, ga4_events, team, first_company=len(base))
    accounts = account_frame(base, leads, team, end)
    deals = _deals(rng, base, leads, accounts)
    months = month_grid(first_month, len(timeline.months))
    history = simulate_customers(
        rng, _customers(rng, deals, accounts, months, end), months, len(timeline.months)
    )
    decided_at = in_month(rng, np.broadcast_to(months, history.seats.shape))
    campaigns = campaign_frame(config, timeline, plan, delivery, web)
    members = responses(web, campaigns, leads, end)
    deals["campaign"] = np.where(
        deals["lead"] >= 0, primary_campaign(web, campaigns, leads, members)[deals["lead"]], -1
    )
    owner = accounts["owner"].to_numpy()
    opportunities = pd.concat(
        [
            new_business(rng, deals, end),
            seat_changes(history, decided_at, owner, end),
            renewals(history, decided_at, owner, end),
        ],
        ignore_index=True,
    )
    frames = _identified(
        rng,
        end,
        CrmFrames(
            leads=leads,
            accounts=accounts,
            contacts=contact_frame(config, accounts, leads, _onboarding(rng, history, months), end),
            opportunities=opportunities,
            stages=stage_history(opportunities, end),
            campaigns=campaigns,
            members=members,
            subscriptions=subscription_frame(history, decided_at, end),
            usage=usage_frame(rng, history, end),
            cases=case_frame(rng, history, end),
        ),
    )
    tables = {
        "sf_user": team.table,
        **pipeline_tables(config, timeline, team, web, frames),
        **customer_tables(config, team, frames, history),
    }
    return Crm(tables=tables, leads=frames.leads, accounts=frames.accounts, history=history)


_SOBJECT = {
    "leads": "Lead",
    "accounts": "Account",
    "contacts": "Contact",
    "opportunities": "Opportunity",
    "stages": "OpportunityHistory",
    "campaigns": "Campaign",
    "members": "CampaignMember",
    "subscriptions": "Subscription__c",
    "usage": "Product_Usage__c",
    "cases": "Case",
}
# Share of records that users duplicated by mistake and deleted again (still in the recycle bin).
_DELETED_SHARE = {"leads": 0.03, "contacts": 0.01, "cases": 0.02}


def _identified(rng: np.random.Generator, end: np.datetime64, frames: CrmFrames) -> CrmFrames:
    """Add deleted duplicates where users make them, then Salesforce Ids in creation order."""
    out = {}
    for name, sobject in _SOBJECT.items():
        frame = getattr(frames, name)
        if name in _DELETED_SHARE:
            frame = with_deleted_copies(rng, frame, _DELETED_SHARE[name], end)
        else:
            frame = frame.reset_index(drop=True).assign(
                is_deleted=False, deleted_at=np.datetime64("NaT", "s")
            )
        out[name] = frame.assign(Id=ids_by_creation(sobject, frame["created"].to_numpy()))
    return CrmFrames(**out)


def _deals(
    rng: np.random.Generator, base: pd.DataFrame, leads: pd.DataFrame, accounts: pd.DataFrame
) -> pd.DataFrame:
    """New-business deals: the historical ones of base customers and one per converted lead."""
    from_leads = accounts.loc[accounts["lead"] >= 0]
    lead = leads.loc[from_leads["lead"].to_numpy()]
    employees = lead["employees"].to_numpy()
    plan = plan_for(employees)
    seats = initial_seats(rng, employees)
    discount = np.where(plan == 0, 0.0, np.round(rng.uniform(0, 0.2, len(lead)), 2))
    is_base = (accounts["lead"] < 0).to_numpy()
    frame = pd.DataFrame(
        {
            "account": np.r_[np.flatnonzero(is_base), from_leads.index.to_numpy()],
            "created": np.r_[base["opp_created"].to_numpy(), lead["converted_at"].to_numpy()],
            "close": np.r_[base["close"].to_numpy(), lead["close_at"].to_numpy()],
            "won": np.r_[np.ones(len(base), bool), lead["opportunity_won"].to_numpy()],
            "plan": np.r_[base["plan"].to_numpy(), plan],
            "seats": np.r_[base["seats"].to_numpy(), seats],
            "discount": np.r_[base["discount"].to_numpy(), discount],
            "lead": np.r_[np.full(len(base), -1), lead.index.to_numpy()],
            "lead_source": np.r_[
                base["lead_source"].to_numpy(),
                [LEAD_SOURCE[CHANNELS[c]] for c in lead["channel"]],
            ],
        }
    )
    frame["mrr"] = monthly_revenue(frame["seats"], frame["plan"], frame["discount"])
    frame["owner"] = accounts["owner"].to_numpy()[frame["account"]]
    return frame


def _customers(
    rng: np.random.Generator,
    deals: pd.DataFrame,
    accounts: pd.DataFrame,
    months: np.ndarray,
    end: np.datetime64,
) -> pd.DataFrame:
    """Won deals closed in time become customers from the first day of the following month."""
    won = deals.loc[deals["won"] & visible(deals["close"].to_numpy(), end)]
    close_month = won["close"].to_numpy().astype("datetime64[M]")
    is_base = (won["lead"] < 0).to_numpy()
    since = accounts["customer_since"].to_numpy()[won["account"]].astype("datetime64[M]")
    start = np.where(is_base, since, close_month + 1)
    return pd.DataFrame(
        {
            "account": won["account"].to_numpy(),
            "plan": won["plan"].to_numpy(),
            "seats": won["seats"].to_numpy(),
            "discount": won["discount"].to_numpy(),
            "start_month": (start - months[0]).astype(np.int64),
            "won_at": won["close"].to_numpy(),
            "since": np.where(is_base, since.astype("datetime64[D]"), np.datetime64("NaT", "D")),
        }
    )


def _onboarding(
    rng: np.random.Generator, history: CustomerHistory, months: np.ndarray
) -> pd.DataFrame:
    """0-2 extra contacts join each new customer in its first month."""
    new = history.customers.loc[history.customers["start_month"] >= 0]
    count = rng.integers(0, 3, len(new))
    account = np.repeat(new["account"].to_numpy(), count)
    first_day = months[np.repeat(new["start_month"].to_numpy(), count)]
    return pd.DataFrame({"account": account, "at": first_day.astype("datetime64[s]")})
