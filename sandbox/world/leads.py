"""Leads: one per first form fill, with the true P(won ≤ 90 days) and the sales funnel timeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.world.channels import CHANNELS
from sandbox.world.config import WorldConfig
from sandbox.world.lead_model import LeadFeatures, win_probability
from sandbox.world.people import draw_names, emails
from sandbox.world.rng import stream
from sandbox.world.sales_team import SDR, SalesTeam
from sandbox.world.sf_time import DAY, NAT
from sandbox.world.stats import group_cumsum
from sandbox.world.timeline import MICROS_PER_SECOND
from sandbox.world.vocab import SENIORITIES, company_names
from sandbox.world.web import Web

WIN_WINDOW_DAYS = 90
LEAD_SOURCE = dict(
    zip(
        CHANNELS,
        ("Paid Social", "Paid Search", "Organic Search", "Web", "Email", "Referral", "Social"),
        strict=True,
    )
)


def lead_frame(
    config: WorldConfig, web: Web, ga4_events: pa.Table, team: SalesTeam, first_company: int
) -> pd.DataFrame:
    """Every lead with its features, true win probability, outcome and funnel timestamps."""
    rng = stream(config, "leads")
    sessions, users = web.sessions, web.users
    pricing_so_far = group_cumsum(sessions["pricing"].to_numpy(float), sessions["user"].to_numpy())
    rows = np.flatnonzero(sessions["lead"].to_numpy())
    user = sessions["user"].to_numpy()[rows]
    leads = pd.DataFrame({"session": rows, "user": user})
    leads["created"] = _created_times(rng, ga4_events, users, user)
    for column in ("employees", "industry", "seniority", "country", "title"):
        leads[column] = users[column].to_numpy()[user]
    leads["channel"] = sessions["channel"].to_numpy()[rows]
    leads["form"] = sessions["form"].to_numpy()[rows]
    leads["sessions"] = sessions["session_number"].to_numpy()[rows]
    leads["pricing_views"] = pricing_so_far[rows].astype(np.int64)
    leads["days_since_first_visit"] = (
        sessions["day"].to_numpy()[rows] - users["first_day"].to_numpy()[user]
    )
    leads = leads.sort_values("created", kind="stable", ignore_index=True)
    leads["p_win"] = win_probability(features(leads))
    leads["won_90d"] = rng.random(len(leads)) < leads["p_win"].to_numpy()
    _funnel(rng, leads)
    _people(rng, leads, first_company)
    _owners(leads, team)
    return leads


def features(leads: pd.DataFrame) -> LeadFeatures:
    """The observable lead features the true model uses."""
    return LeadFeatures(*(leads[name].to_numpy() for name in LeadFeatures._fields))


def _created_times(
    rng: np.random.Generator, ga4_events: pa.Table, users: pd.DataFrame, user: np.ndarray
) -> np.ndarray:
    """Form-fill time from GA4 plus the form → CRM sync delay."""
    fills = ga4_events.filter(pc.equal(ga4_events["event_name"], "generate_lead"))
    seconds = dict(
        zip(
            fills["user_pseudo_id"].to_pylist(),
            (fills["event_timestamp"].to_numpy() // MICROS_PER_SECOND).tolist(),
            strict=True,
        )
    )
    fill = np.array([seconds[p] for p in users["pseudo_id"].to_numpy()[user]], dtype=np.int64)
    delay = rng.integers(20, 300, len(user))
    return (fill + delay).astype("datetime64[s]")


def _funnel(rng: np.random.Generator, leads: pd.DataFrame) -> None:
    """MQL → SQL → conversion → close, consistent with the drawn 90-day outcome."""
    n = len(leads)
    created = leads["created"].to_numpy()
    p, won = leads["p_win"].to_numpy(), leads["won_90d"].to_numpy()
    converts = won | (rng.random(n) < np.minimum(0.5, 2.5 * p))
    mql = converts | (rng.random(n) < 0.6)
    t_mql = created + (rng.uniform(0.5, 48, n) * 3_600).astype("timedelta64[s]")
    t_sql = t_mql + (rng.uniform(1, 10, n) * 86_400).astype("timedelta64[s]")
    t_conv = t_sql + (rng.uniform(0, 3, n) * 86_400).astype("timedelta64[s]")
    in_window = created + (WIN_WINDOW_DAYS - 1) * DAY
    won_late = ~won & converts & (rng.random(n) < 0.2)
    close = np.select(
        [won, won_late],
        [
            t_conv + ((in_window - t_conv) * rng.uniform(0.3, 1.0, n)).astype("timedelta64[s]"),
            created + (rng.uniform(WIN_WINDOW_DAYS + 1, 200, n) * 86_400).astype("timedelta64[s]"),
        ],
        t_conv + (rng.uniform(20, 120, n) * 86_400).astype("timedelta64[s]"),
    )
    disqualify = ~converts & (rng.random(n) < 0.5)
    t_disq = np.where(
        mql,
        t_mql + (rng.uniform(3, 40, n) * 86_400).astype("timedelta64[s]"),
        created + (rng.uniform(2, 30, n) * 86_400).astype("timedelta64[s]"),
    )
    leads["mql_at"] = np.where(mql, t_mql, NAT)
    leads["sql_at"] = np.where(converts, t_sql, NAT)
    leads["converted_at"] = np.where(converts, t_conv, NAT)
    leads["disqualified_at"] = np.where(disqualify, t_disq, NAT)
    leads["close_at"] = np.where(converts, close, NAT)
    leads["opportunity_won"] = won | won_late


def _people(rng: np.random.Generator, leads: pd.DataFrame, first_company: int) -> None:
    n = len(leads)
    leads["first_name"], leads["last_name"] = draw_names(rng, n)
    leads["company"], leads["domain"] = company_names(first_company + np.arange(n))
    leads["email"] = emails(leads["first_name"], leads["last_name"], leads["domain"])
    titles = [
        SENIORITIES[s].titles[t % len(SENIORITIES[s].titles)]
        for s, t in zip(leads["seniority"], leads["title"], strict=True)
    ]
    leads["title_text"] = titles


def _owners(leads: pd.DataFrame, team: SalesTeam) -> None:
    """SDR round robin; the leaver's leads go to the successor (open ones in one bulk update)."""
    owner = team.round_robin(SDR, len(leads))
    created = leads["created"].to_numpy()
    owner = np.where(
        (owner == team.departed_sdr) & (created >= team.departure), team.successor_sdr, owner
    )
    progressed = np.fmin(
        np.fmin(leads["sql_at"].to_numpy(), leads["disqualified_at"].to_numpy()),
        leads["converted_at"].to_numpy(),
    )
    still_open = np.isnat(progressed) | (progressed > team.departure)
    reassigned = (owner == team.departed_sdr) & still_open
    leads["owner"] = np.where(reassigned, team.successor_sdr, owner)
    leads["reassigned_at"] = np.where(reassigned, team.departure, NAT)
