"""Salesforce tables of the marketing and sales pipeline: Lead, Campaign(Member), Opportunity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world.arrow_columns import dates, timestamps
from sandbox.world.channels import CHANNELS, PAID_SEARCH, PAID_SOCIAL
from sandbox.world.config import WorldConfig
from sandbox.world.crm_campaigns import cost_synced
from sandbox.world.lead_model import FORMS
from sandbox.world.leads import LEAD_SOURCE
from sandbox.world.opportunities import NEW_BUSINESS, STAGE_PROBABILITY
from sandbox.world.sales_team import SalesTeam
from sandbox.world.sf_records import modstamps
from sandbox.world.sf_time import at_or_nat, latest, visible, world_end
from sandbox.world.timeline import Timeline
from sandbox.world.vocab import COUNTRIES, INDUSTRIES
from sandbox.world.web import Web

if TYPE_CHECKING:
    from sandbox.world.crm import CrmFrames


def pipeline_tables(
    config: WorldConfig, timeline: Timeline, team: SalesTeam, web: Web, frames: CrmFrames
) -> dict[str, pa.Table]:
    end = world_end(config)
    return {
        "sf_lead": _leads(team, web, frames, end),
        "sf_campaign": _campaigns(timeline, team, frames, end),
        "sf_campaign_member": _members(frames),
        "sf_opportunity": _opportunities(team, frames, end),
        "sf_opportunity_history": _stages(team, frames),
    }


def _ids_of(frame: pd.DataFrame, index: np.ndarray) -> np.ndarray:
    """Ids of rows `index` (-1 → None)."""
    ids = np.r_[frame["Id"].to_numpy().astype(object), [None]]
    return ids[np.where(index >= 0, index, len(frame))]


def _lead_links(frames: CrmFrames, n_leads: int) -> dict[str, np.ndarray]:
    """Account, contact and opportunity each lead was converted into (-1 if none)."""
    links = {}
    for name, frame in (("account", frames.accounts), ("contact", frames.contacts)):
        rows = frame.loc[(frame["lead"] >= 0) & ~frame["is_deleted"]]
        links[name] = pd.Series(rows.index, index=rows["lead"]).reindex(range(n_leads)).fillna(-1)
    opps = frames.opportunities
    new = opps.loc[(opps["lead"] >= 0) & (opps["type"] == NEW_BUSINESS)]
    links["opportunity"] = (
        pd.Series(new.index, index=new["lead"]).reindex(range(n_leads)).fillna(-1)
    )
    return {name: s.to_numpy().astype(np.int64) for name, s in links.items()}


def _leads(team: SalesTeam, web: Web, frames: CrmFrames, end: np.datetime64) -> pa.Table:
    leads = frames.leads
    n_original = int((~leads["is_deleted"]).sum())  # originals come first, deleted copies after
    links = {
        name: np.r_[values, np.full(len(leads) - n_original, -1)]
        for name, values in _lead_links(frames, n_original).items()
    }
    times = {
        k: at_or_nat(leads[f"{k}_at"].to_numpy(), end)
        for k in ("mql", "sql", "converted", "disqualified", "reassigned")
    }
    status = np.select(
        [
            ~np.isnat(times["converted"]),
            ~np.isnat(times["disqualified"]),
            ~np.isnat(times["sql"]),
            ~np.isnat(times["mql"]),
        ],
        ["Converted", "Disqualified", "SQL", "MQL"],
        "Open",
    )
    modified, modstamp = modstamps(leads, latest(*times.values()))
    session = leads["session"].to_numpy()
    sessions = web.sessions
    tagged = sessions["query"].to_numpy()[session] >= 0
    utm = {}
    for name in ("source", "medium", "campaign", "content", "term"):
        values = web.pool.decode(sessions[name].to_numpy()[session])
        values[~tagged] = None  # the form fill came from an untagged (organic, direct) visit
        utm[name] = values
    channel = sessions["channel"].to_numpy()[session]
    click = sessions["click_id"].to_numpy()[session]
    converted = ~np.isnat(times["converted"])
    return pa.table(
        {
            "Id": leads["Id"].to_numpy(),
            "FirstName": leads["first_name"].to_numpy(),
            "LastName": leads["last_name"].to_numpy(),
            "Email": leads["email"].to_numpy(),
            "Company": leads["company"].to_numpy(),
            "Title": leads["title_text"].to_numpy(),
            "Industry": np.array([i.name for i in INDUSTRIES])[leads["industry"]],
            "NumberOfEmployees": leads["employees"].to_numpy(),
            "Country": np.array([c.name for c in COUNTRIES])[leads["country"]],
            "LeadSource": [LEAD_SOURCE[CHANNELS[c]] for c in channel],
            "Lead_Form__c": np.array([f.form_id for f in FORMS])[leads["form"]],
            "Status": status,
            "IsConverted": converted,
            "ConvertedDate": dates(times["converted"]),
            "ConvertedAccountId": pa.array(_ids_of(frames.accounts, links["account"]), pa.string()),
            "ConvertedContactId": pa.array(_ids_of(frames.contacts, links["contact"]), pa.string()),
            "ConvertedOpportunityId": pa.array(
                _ids_of(frames.opportunities, links["opportunity"]), pa.string()
            ),
            "OwnerId": team.ids[leads["owner"]],
            "CreatedById": np.full(len(leads), team.ids[team.integration_user]),
            "CreatedDate": timestamps(leads["created"].to_numpy()),
            "LastModifiedDate": timestamps(modified),
            "SystemModstamp": timestamps(modstamp),
            "IsDeleted": leads["is_deleted"].to_numpy(),
            "GA_Client_ID__c": web.users["pseudo_id"].to_numpy()[leads["user"]],
            **{f"UTM_{k.title()}__c": pa.array(v, pa.string()) for k, v in utm.items()},
            "GCLID__c": pa.array(np.where(channel == PAID_SEARCH, click, None), pa.string()),
            "FBCLID__c": pa.array(np.where(channel == PAID_SOCIAL, click, None), pa.string()),
            "MQL_Date__c": dates(times["mql"]),
            "SQL_Date__c": dates(times["sql"]),
        }
    ).sort_by("CreatedDate")


def _campaigns(
    timeline: Timeline, team: SalesTeam, frames: CrmFrames, end: np.datetime64
) -> pa.Table:
    c = frames.campaigns
    modified = cost_synced(c, timeline, end)
    last_day = (end - np.timedelta64(1, "s")).astype("datetime64[D]")
    ended = ~np.isnat(c["end_date"].to_numpy()) & (c["end_date"].to_numpy() < last_day)
    return pa.table(
        {
            "Id": c["Id"].to_numpy(),
            "Name": c["name"].to_numpy(),
            "Type": c["type"].to_numpy(),
            "Status": c["status"].to_numpy(),
            "StartDate": dates(c["start_date"].to_numpy()),
            "EndDate": dates(c["end_date"].to_numpy()),
            "IsActive": ~ended,
            "BudgetedCost": pa.array(c["budgeted_cost"].to_numpy(), from_pandas=True),
            "ActualCost": pa.array(c["actual_cost"].to_numpy(), from_pandas=True),
            "OwnerId": np.full(len(c), team.ids[team.integration_user]),
            "CreatedDate": timestamps(c["created"].to_numpy()),
            "LastModifiedDate": timestamps(modified),
            "SystemModstamp": timestamps(modified),
            "IsDeleted": np.zeros(len(c), dtype=bool),
        }
    ).sort_by("CreatedDate")


def _members(frames: CrmFrames) -> pa.Table:
    m = frames.members
    links = _lead_links(frames, int((~frames.leads["is_deleted"]).sum()))
    contact = links["contact"][m["lead"].to_numpy()]
    return pa.table(
        {
            "Id": m["Id"].to_numpy(),
            "CampaignId": frames.campaigns["Id"].to_numpy()[m["campaign"]],
            "LeadId": frames.leads["Id"].to_numpy()[m["lead"]],
            "ContactId": pa.array(_ids_of(frames.contacts, contact), pa.string()),
            "Status": np.full(len(m), "Responded"),
            "HasResponded": np.ones(len(m), dtype=bool),
            "FirstRespondedDate": dates(m["at"].to_numpy()),
            "CreatedDate": timestamps(m["created"].to_numpy()),
            "SystemModstamp": timestamps(m["created"].to_numpy()),
            "IsDeleted": np.zeros(len(m), dtype=bool),
        }
    ).sort_by("CreatedDate")


def _opportunities(team: SalesTeam, frames: CrmFrames, end: np.datetime64) -> pa.Table:
    o = frames.opportunities
    stages = frames.stages
    last_stage = stages.groupby("opportunity")["stage"].last().reindex(range(len(o)))
    last_change = stages.groupby("opportunity")["created"].max().reindex(range(len(o)))
    closed = visible(o["close"].to_numpy(), end)
    stage = last_stage.to_numpy().astype(str)
    names = frames.accounts["company"].to_numpy()[o["account"]]
    suffix = np.where(
        o["type"] == NEW_BUSINESS,
        "",
        " " + o["close"].to_numpy().astype("datetime64[M]").astype(str),
    )
    return pa.table(
        {
            "Id": o["Id"].to_numpy(),
            "AccountId": frames.accounts["Id"].to_numpy()[o["account"]],
            "Name": np.char.add(
                np.char.add(names.astype(str), " - "),
                np.char.add(o["type"].to_numpy().astype(str), suffix),
            ),
            "Type": o["type"].to_numpy(),
            "StageName": stage,
            "Amount": o["amount"].to_numpy(),
            "Probability": np.array([STAGE_PROBABILITY[s] for s in stage], dtype=np.float64),
            "CloseDate": dates(o["close"].to_numpy()),
            "IsClosed": closed,
            "IsWon": closed & o["won"].to_numpy(),
            "LeadSource": pa.array(o["lead_source"].to_numpy(), pa.string(), from_pandas=True),
            "CampaignId": pa.array(
                _ids_of(frames.campaigns, o["campaign"].fillna(-1).to_numpy().astype(np.int64)),
                pa.string(),
            ),
            "OwnerId": team.ids[o["owner"].to_numpy().astype(np.int64)],
            "MRR__c": o["mrr"].to_numpy(),
            "CreatedDate": timestamps(o["created"].to_numpy()),
            "LastModifiedDate": timestamps(last_change.to_numpy()),
            "SystemModstamp": timestamps(last_change.to_numpy()),
            "IsDeleted": np.zeros(len(o), dtype=bool),
        }
    ).sort_by("CreatedDate")


def _stages(team: SalesTeam, frames: CrmFrames) -> pa.Table:
    s = frames.stages
    o = frames.opportunities.loc[s["opportunity"].to_numpy()]
    return pa.table(
        {
            "Id": s["Id"].to_numpy(),
            "OpportunityId": o["Id"].to_numpy(),
            "StageName": s["stage"].to_numpy(),
            "Amount": o["amount"].to_numpy(),
            "CloseDate": dates(o["close"].to_numpy()),
            "Probability": np.array([STAGE_PROBABILITY[x] for x in s["stage"]], dtype=np.float64),
            "CreatedById": team.ids[o["owner"].to_numpy().astype(np.int64)],
            "CreatedDate": timestamps(s["created"].to_numpy()),
            "SystemModstamp": timestamps(s["created"].to_numpy()),
            "IsDeleted": np.zeros(len(s), dtype=bool),
        }
    ).sort_by("CreatedDate")
