"""Subscription__c segments, monthly Product_Usage__c syncs and support cases of customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.customers import PLANS, CustomerHistory
from sandbox.world.sf_time import DAY, NAT, month_start, visible

CASE_PRIORITY = (("Low", 0.30), ("Medium", 0.45), ("High", 0.20), ("Critical", 0.05))
CASE_ORIGIN = (("Email", 0.45), ("Web", 0.35), ("Phone", 0.15), ("Chat", 0.05))
CASE_TYPE = (
    ("Question", 0.40, "How do I set up {}?"),
    ("Problem", 0.35, "{} is not syncing"),
    ("Feature Request", 0.15, "Request: more options in {}"),
    ("Billing", 0.10, "Invoice question ({})"),
)
_CASE_TOPICS = (
    "dashboards",
    "the Salesforce sync",
    "SSO",
    "forecast exports",
    "user roles",
    "the HubSpot integration",
    "alerts",
)


def subscription_frame(
    history: CustomerHistory, decided_at: np.ndarray, end: np.datetime64
) -> pd.DataFrame:
    """One segment per constant-MRR stretch; a seat change or churn closes a segment.

    `decided_at[c, m]` is when a change or churn decided in month m was entered in the CRM.
    """
    customers = history.customers
    active = history.active()
    n_months = len(history.months)
    start = customers["start_month"].to_numpy()
    month = np.arange(n_months)[None, :]
    changed = np.zeros_like(active)
    changed[:, 1:] = history.seats[:, 1:] != history.seats[:, :-1]
    boundary = active & ((month == np.maximum(start, 0)[:, None]) | changed)
    cust, first = np.nonzero(boundary)
    churn_month = customers["churn_month"].to_numpy()
    last_active = np.where(churn_month >= 0, churn_month, n_months - 1)
    is_last = np.r_[cust[1:] != cust[:-1], True]
    last = np.where(is_last, last_active[cust], np.r_[first[1:], 0] - 1)
    churned = is_last & (customers["churn_month"].to_numpy()[cust] == last)
    amended = ~is_last
    is_first = np.r_[True, cust[1:] != cust[:-1]]
    created = np.where(
        is_first, customers["won_at"].to_numpy()[cust], decided_at[cust, np.maximum(first - 1, 0)]
    )
    ended_at = np.where(churned | amended, decided_at[cust, last], NAT)
    start_date = np.where(
        is_first & (start[cust] < 0),
        customers["since"].to_numpy()[cust],
        history.months[first].astype("datetime64[D]"),
    )
    end_date = (history.months[last] + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    frame = pd.DataFrame(
        {
            "account": customers["account"].to_numpy()[cust],
            "plan": np.array(PLANS)[customers["plan"].to_numpy()[cust]],
            "seats": history.seats[cust, first],
            "mrr": history.mrr[cust, first],
            "start_date": start_date,
            "end_date": np.where(visible(ended_at, end), end_date, np.datetime64("NaT", "D")),
            "created": created,
            "modified": np.where(visible(ended_at, end), ended_at, created),
            "ended_by": np.select([churned, amended], ["churn", "change"], ""),
        }
    )
    frame["status"] = _segment_status(frame, end)
    return frame.loc[visible(frame["created"].to_numpy(), end)].reset_index(drop=True)


def _segment_status(frame: pd.DataFrame, end: np.datetime64) -> np.ndarray:
    ended = frame["end_date"].notna().to_numpy()
    pending = frame["start_date"].to_numpy() >= (end - DAY).astype("datetime64[D]") + 1
    return np.select(
        [pending, ended & (frame["ended_by"] == "churn"), ended],
        ["Pending", "Cancelled", "Amended"],
        "Active",
    )


def usage_frame(
    rng: np.random.Generator, history: CustomerHistory, end: np.datetime64
) -> pd.DataFrame:
    """Product_Usage__c: one record per active customer-month, synced 1-3 days after it ends."""
    cust, month = np.nonzero(history.active())
    synced = month_start(history.months[month] + 1) + (
        rng.uniform(1, 72, len(month)) * 3_600
    ).astype("timedelta64[s]")
    frame = pd.DataFrame(
        {
            "account": history.customers["account"].to_numpy()[cust],
            "month": history.months[month].astype("datetime64[D]"),
            "active_users": history.active_users[cust, month],
            "events": history.events[cust, month],
            "seats": history.seats[cust, month],
            "created": synced,
        }
    )
    return frame.loc[visible(synced, end)].sort_values("created", ignore_index=True)


def case_frame(
    rng: np.random.Generator, history: CustomerHistory, end: np.datetime64
) -> pd.DataFrame:
    """Support cases of active customer-months that have started by the end of the world."""
    active = history.active() & (month_start(history.months)[None, :] < end)
    cust, month = np.nonzero(active)
    count = history.cases[cust, month]
    cust, month = np.repeat(cust, count), np.repeat(month, count)
    length = (history.months[month] + 1).astype("datetime64[s]") - month_start(
        history.months[month]
    )
    created = month_start(history.months[month]) + (
        rng.random(len(month)) * length.astype(np.int64)
    ).astype("timedelta64[s]")
    closed = created + ((rng.exponential(2.5, len(month)) + 0.05) * 86_400).astype("timedelta64[s]")
    kind = _choice(rng, CASE_TYPE, len(month))
    topic = np.array(_CASE_TOPICS)[rng.integers(0, len(_CASE_TOPICS), len(month))]
    subjects = np.array([CASE_TYPE[k][2].format(t) for k, t in zip(kind, topic, strict=True)])
    frame = pd.DataFrame(
        {
            "account": history.customers["account"].to_numpy()[cust],
            "created": created,
            "closed": np.where(visible(closed, end), closed, NAT),
            "priority": np.array([p for p, _ in CASE_PRIORITY])[
                _choice(rng, CASE_PRIORITY, len(month))
            ],
            "origin": np.array([o for o, _ in CASE_ORIGIN])[_choice(rng, CASE_ORIGIN, len(month))],
            "type": np.array([t[0] for t in CASE_TYPE])[kind],
            "subject": subjects,
        }
    )
    return frame.loc[visible(created, end)].sort_values("created", ignore_index=True)


def _choice(rng: np.random.Generator, options: tuple[tuple, ...], n: int) -> np.ndarray:
    weights = np.array([o[1] for o in options])
    return rng.choice(len(options), n, p=weights / weights.sum())
