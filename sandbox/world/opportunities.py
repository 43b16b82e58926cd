"""Opportunities (new business, expansion, contraction, renewal) and their stage history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.customers import ENTERPRISE, CustomerHistory
from sandbox.world.sf_time import DAY, visible

OPEN_STAGES = ("Qualification", "Discovery", "Proposal", "Negotiation")
STAGE_PROBABILITY = {
    "Qualification": 10,
    "Discovery": 25,
    "Proposal": 50,
    "Negotiation": 75,
    "Closed Won": 100,
    "Closed Lost": 0,
}
NEW_BUSINESS, EXPANSION, CONTRACTION, RENEWAL = (
    "New Business",
    "Expansion",
    "Contraction",
    "Renewal",
)
_RENEWAL_LEAD_DAYS = 45


def new_business(rng: np.random.Generator, deals: pd.DataFrame, end: np.datetime64) -> pd.DataFrame:
    """New-business opportunities; `deals` has account, created, close, won, mrr, owner,
    lead and lead_source. Lost deals drop out after reaching a random open stage."""
    n = len(deals)
    reached = np.where(deals["won"], len(OPEN_STAGES), rng.integers(1, len(OPEN_STAGES) + 1, n))
    return deals.assign(
        type=NEW_BUSINESS,
        amount=np.round(12 * deals["mrr"].to_numpy(), 2),
        first_stage=0,
        stages=reached,
    ).loc[visible(deals["created"].to_numpy(), end)]


def seat_changes(
    history: CustomerHistory, decided_at: np.ndarray, owner: np.ndarray, end: np.datetime64
) -> pd.DataFrame:
    """Closed-won expansion / contraction deals for seat changes decided in the world."""
    active = history.active()
    churn = history.customers["churn_month"].to_numpy()
    month = np.arange(len(history.months))[None, :]
    decided = (history.change != 0) & active & (month != churn[:, None])
    decided[:, : history.world_month0] = False
    decided[:, -1] = False
    cust, m = np.nonzero(decided)
    delta = history.mrr[cust, m + 1] - history.mrr[cust, m]
    at = decided_at[cust, m]
    frame = pd.DataFrame(
        {
            "account": history.customers["account"].to_numpy()[cust],
            "created": at,
            "close": at,
            "won": True,
            "mrr": np.round(delta, 2),
            "amount": np.round(12 * delta, 2),
            "owner": owner[history.customers["account"].to_numpy()[cust]],
            "lead": -1,
            "lead_source": None,
            "type": np.where(delta > 0, EXPANSION, CONTRACTION),
            "first_stage": 0,
            "stages": 0,
        }
    )
    return frame.loc[visible(at, end)]


def renewals(
    history: CustomerHistory, decided_at: np.ndarray, owner: np.ndarray, end: np.datetime64
) -> pd.DataFrame:
    """Annual Enterprise contracts: a renewal deal opens 45 days before each anniversary."""
    customers = history.customers
    active = history.active()
    start = customers["start_month"].to_numpy()[:, None]
    month = np.arange(len(history.months))[None, :]
    enterprise = (customers["plan"].to_numpy() == ENTERPRISE)[:, None]
    anniversary = enterprise & (month > start) & ((month - start) % 12 == 0)
    anniversary[:, : history.world_month0] = False
    due = anniversary & np.roll(active, 1, axis=1)
    cust, m = np.nonzero(due)
    renewal_day = history.months[m].astype("datetime64[s]")
    renewed = active[cust, m]
    close = np.where(renewed, renewal_day, decided_at[cust, m - 1])
    mrr = history.mrr[cust, m - 1]
    frame = pd.DataFrame(
        {
            "account": customers["account"].to_numpy()[cust],
            "created": renewal_day - _RENEWAL_LEAD_DAYS * DAY,
            "close": close,
            "won": renewed,
            "mrr": mrr,
            "amount": np.round(12 * mrr, 2),
            "owner": owner[customers["account"].to_numpy()[cust]],
            "lead": -1,
            "lead_source": None,
            "type": RENEWAL,
            "first_stage": len(OPEN_STAGES) - 1,
            "stages": 1,
        }
    )
    return frame.loc[visible(frame["created"].to_numpy(), end)]


def stage_history(opportunities: pd.DataFrame, end: np.datetime64) -> pd.DataFrame:
    """Rows of OpportunityHistory: one per stage entered by the end of the world."""
    stages = opportunities["stages"].to_numpy()
    opp = np.repeat(np.arange(len(opportunities)), stages)
    step = np.arange(stages.sum()) - np.repeat(np.cumsum(stages) - stages, stages)
    created = opportunities["created"].to_numpy()
    close = opportunities["close"].to_numpy()
    fraction = step / np.maximum(stages[opp], 1)
    entered = created[opp] + ((close[opp] - created[opp]) * fraction).astype("timedelta64[s]")
    stage_idx = opportunities["first_stage"].to_numpy()[opp] + step
    open_rows = pd.DataFrame(
        {"opportunity": opp, "stage": np.array(OPEN_STAGES)[stage_idx], "created": entered}
    )
    won = opportunities["won"].to_numpy()
    closed_rows = pd.DataFrame(
        {
            "opportunity": np.arange(len(opportunities)),
            "stage": np.where(won, "Closed Won", "Closed Lost"),
            "created": close,
        }
    )
    rows = pd.concat([open_rows, closed_rows], ignore_index=True)
    rows = rows.loc[visible(rows["created"].to_numpy(), end)]
    return rows.sort_values(["created", "opportunity"], kind="stable", ignore_index=True)
