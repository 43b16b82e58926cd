"""Salesforce campaigns (paid and e-mail programmes) and the leads who responded to them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.config import WorldConfig
from sandbox.world.delivery import Delivery
from sandbox.world.media_plan import META, MediaPlan, lifecycle
from sandbox.world.sf_time import DAY, latest, month_start, visible
from sandbox.world.sources import NURTURE_CAMPAIGNS
from sandbox.world.timeline import MICROS_PER_SECOND, Timeline
from sandbox.world.web import Web


def campaign_frame(
    config: WorldConfig, timeline: Timeline, plan: MediaPlan, delivery: Delivery, web: Web
) -> pd.DataFrame:
    """Paid campaigns mirror the ad platforms (cost synced monthly); e-mails are programmes."""
    start = np.datetime64(config.start, "D")
    spend = (
        delivery.ad_day.assign(
            campaign=plan.ads["campaign_idx"].to_numpy()[delivery.ad_day["ad_idx"]]
        )
        .groupby("campaign")["spend"]
        .sum()
        .reindex(range(len(plan.campaigns)), fill_value=0.0)
    )
    state = lifecycle(plan, timeline.n_days)
    c = plan.campaigns
    ended = (state["state"] == "ended").to_numpy()
    paid = pd.DataFrame(
        {
            "name": c["name"].to_numpy(),
            "type": np.where(c["platform"] == META, "Paid Social", "Paid Search"),
            "start_date": start + c["flight_start"].to_numpy(),
            "end_date": np.where(
                ended, start + c["flight_stop"].to_numpy() - 1, np.datetime64("NaT", "D")
            ),
            "status": np.where(ended, "Completed", "In Progress"),
            "budgeted_cost": np.round(c["base_budget"].to_numpy() * 365, 2),
            "actual_cost": np.round(spend.to_numpy(), 2),
            "created": (start + c["flight_start"].to_numpy() - 5).astype("datetime64[s]")
            + np.timedelta64(10 * 3_600, "s"),
        }
    )
    return pd.concat([paid, _email_programmes(timeline, web)], ignore_index=True)


def _email_programmes(timeline: Timeline, web: Web) -> pd.DataFrame:
    months = timeline.months
    newsletters = len(web.email_campaigns) - len(NURTURE_CAMPAIGNS)
    first_day = months.astype("datetime64[D]")
    last_day = (months + 1).astype("datetime64[D]") - 1
    long_ago = first_day[0] - 200
    return pd.DataFrame(
        {
            "name": list(web.email_campaigns),
            "type": "Email",
            "start_date": np.r_[first_day, [long_ago] * len(NURTURE_CAMPAIGNS)],
            "end_date": np.r_[last_day, [np.datetime64("NaT", "D")] * len(NURTURE_CAMPAIGNS)],
            "status": ["Completed"] * (newsletters - 1)
            + ["In Progress"] * (1 + len(NURTURE_CAMPAIGNS)),
            "budgeted_cost": np.nan,
            "actual_cost": np.nan,
            "created": np.r_[
                month_start(months) - 7 * DAY,
                [long_ago.astype("datetime64[s]")] * len(NURTURE_CAMPAIGNS),
            ],
        }
    )


def cost_synced(campaigns: pd.DataFrame, timeline: Timeline, end: np.datetime64) -> np.ndarray:
    """Last modification: paid campaigns get ActualCost from a job at 04:00:00 on each 1st."""
    syncs = month_start(timeline.months) + np.timedelta64(4 * 3_600, "s")
    last_sync = syncs[visible(syncs, end)].max()
    paid = campaigns["type"].str.startswith("Paid").to_numpy()
    created = campaigns["created"].to_numpy()
    return np.where(paid, latest(created, np.full(len(created), last_sync)), created)


def responses(
    web: Web, campaigns: pd.DataFrame, leads: pd.DataFrame, end: np.datetime64
) -> pd.DataFrame:
    """CampaignMember rows: every distinct campaign a lead touched, before or after converting."""
    sessions = web.sessions
    code_to_campaign = {web.pool.code(name): i for i, name in enumerate(campaigns["name"])}
    campaign = np.array(
        [code_to_campaign.get(code, -1) for code in sessions["campaign"].to_numpy()]
    )
    lead_of_user = pd.Series(leads.index.to_numpy(), index=leads["user"].to_numpy())
    lead = lead_of_user.reindex(sessions["user"].to_numpy()).fillna(-1).to_numpy().astype(np.int64)
    touched = (campaign >= 0) & (lead >= 0)
    touches = pd.DataFrame(
        {
            "lead": lead[touched],
            "campaign": campaign[touched],
            "at": (sessions["start_us"].to_numpy()[touched] // MICROS_PER_SECOND).astype(
                "datetime64[s]"
            ),
        }
    )
    members = touches.groupby(["lead", "campaign"], as_index=False)["at"].min()
    lead_created = leads["created"].to_numpy()[members["lead"].to_numpy()]
    members["created"] = latest(lead_created, members["at"].to_numpy())
    members = members.loc[visible(members["created"].to_numpy(), end)]
    return members.sort_values(["created", "lead", "campaign"], ignore_index=True)


def primary_campaign(
    web: Web, campaigns: pd.DataFrame, leads: pd.DataFrame, members: pd.DataFrame
) -> np.ndarray:
    """Campaign credited on a lead's opportunity: the form-fill session's, else the last touch."""
    code_to_campaign = {web.pool.code(name): i for i, name in enumerate(campaigns["name"])}
    session_campaign = web.sessions["campaign"].to_numpy()[leads["session"].to_numpy()]
    own = np.array([code_to_campaign.get(code, -1) for code in session_campaign])
    before = members.loc[members["at"].to_numpy() <= leads["created"].to_numpy()[members["lead"]]]
    last_touch = (
        before.sort_values("at")
        .groupby("lead")["campaign"]
        .last()
        .reindex(range(len(leads)), fill_value=-1)
        .to_numpy()
    )
    return np.where(own >= 0, own, last_touch)
