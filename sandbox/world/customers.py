"""Customer lifecycle month by month: seats, product usage, support cases, expansion and churn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.world.stats import sigmoid

PLANS = ("Starter", "Growth", "Enterprise")
STARTER, GROWTH, ENTERPRISE = range(3)
PRICE_PER_SEAT = np.array([25.0, 45.0, 70.0])
HISTORY_MONTHS = 3  # usage and cases simulated before the world starts (churn model inputs)
FUTURE_MONTHS = 2  # simulated after the world ends so that 3-month churn truth is complete
MIN_TENURE_MONTHS = 3  # minimum commitment: nobody churns in their first three months
# True monthly churn hazard: log-odds from what Product_Usage__c, Case and the account show.
CHURN_INTERCEPT = -3.5
CHURN_TREND, CHURN_UTILISATION, CHURN_CASES = -1.3, -2.0, 0.25
CHURN_TENURE, CHURN_SEATS = -0.3, -0.1
CHURN_PLAN = np.array([0.5, 0.0, -0.5])
_HEALTH_MEAN = np.array([-0.2, 0.1, 0.3])


@dataclass(frozen=True)
class CustomerHistory:
    """Monthly state of every customer on the month grid (potential paths, even after churn)."""

    customers: pd.DataFrame  # account, plan, discount, start_month, churn_month
    months: np.ndarray  # datetime64[M] grid: 3 months of history, the world, 2 months after
    seats: np.ndarray  # (customers, months)
    mrr: np.ndarray
    active_users: np.ndarray
    events: np.ndarray
    cases: np.ndarray
    hazard: np.ndarray  # NaN where the customer cannot churn
    change: np.ndarray  # +1 expansion / -1 contraction decided in the month, effective next month

    @property
    def world_month0(self) -> int:
        return HISTORY_MONTHS

    def active(self) -> np.ndarray:
        """(customers, months) True while the subscription runs (realised churn applied)."""
        month = np.arange(len(self.months))[None, :]
        start = self.customers["start_month"].to_numpy()[:, None]
        churn = self.customers["churn_month"].to_numpy()[:, None]
        return (month >= start) & ((churn < 0) | (month <= churn))


def plan_for(employees: np.ndarray) -> np.ndarray:
    return np.select([employees < 50, employees < 1_000], [STARTER, GROWTH], ENTERPRISE)


def initial_seats(rng: np.random.Generator, employees: np.ndarray) -> np.ndarray:
    return np.clip(np.round(employees * rng.uniform(0.02, 0.08, len(employees))), 3, 2_000)


def monthly_revenue(seats: np.ndarray, plan: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """MRR = seats × list price per seat × (1 − discount), in cents precision."""
    return np.round(seats * PRICE_PER_SEAT[plan] * (1 - discount), 2)


def month_grid(first_world_month: np.datetime64, n_world_months: int) -> np.ndarray:
    start = first_world_month - HISTORY_MONTHS
    return start + np.arange(HISTORY_MONTHS + n_world_months + FUTURE_MONTHS)


def simulate_customers(
    rng: np.random.Generator, customers: pd.DataFrame, months: np.ndarray, n_world_months: int
) -> CustomerHistory:
    """Run the monthly process; `customers` needs account, employees, plan, discount,
    start_month (grid index, may be negative) and seats (at start)."""
    n, n_months = len(customers), len(months)
    state = {
        name: np.zeros((n, n_months))
        for name in ("seats", "active_users", "events", "cases", "change")
    }
    hazard = np.full((n, n_months), np.nan)
    plan = customers["plan"].to_numpy()
    start = customers["start_month"].to_numpy()
    health = rng.normal(_HEALTH_MEAN[plan], 0.7)
    seats = customers["seats"].to_numpy().astype(np.float64)
    last_world = HISTORY_MONTHS + n_world_months - 1
    for m in range(n_months):
        health = 0.85 * health + rng.normal(0.0, 0.35, n)
        if m > 0:
            seats = _apply_change(rng, seats, state["change"][:, m - 1])
        seats = np.where(m == start, customers["seats"].to_numpy(), seats)
        _usage(rng, state, m, seats, health)
        if m >= HISTORY_MONTHS:
            hazard[:, m] = _hazard(state, m, plan, start)
        if HISTORY_MONTHS <= m <= last_world + 1:
            state["change"][:, m] = _seat_change(rng, state, m, seats)
    draws = rng.random((n, n_months)) < np.nan_to_num(hazard)
    churn_month = np.where(draws.any(axis=1), np.argmax(draws, axis=1), -1)
    customers = customers.assign(churn_month=churn_month)
    mrr = monthly_revenue(state["seats"], plan[:, None], customers["discount"].to_numpy()[:, None])
    return CustomerHistory(
        customers=customers,
        months=months,
        seats=state["seats"].astype(np.int64),
        mrr=mrr,
        active_users=state["active_users"].astype(np.int64),
        events=state["events"].astype(np.int64),
        cases=state["cases"].astype(np.int64),
        hazard=hazard,
        change=state["change"].astype(np.int64),
    )


def _apply_change(rng: np.random.Generator, seats: np.ndarray, change: np.ndarray) -> np.ndarray:
    grow = np.ceil(seats * rng.uniform(1.1, 1.5, len(seats)))
    shrink = np.maximum(np.floor(seats * rng.uniform(0.6, 0.9, len(seats))), 1)
    return np.select([change > 0, change < 0], [grow, shrink], seats)


def _usage(
    rng: np.random.Generator,
    state: dict[str, np.ndarray],
    m: int,
    seats: np.ndarray,
    health: np.ndarray,
) -> None:
    """Active users, product events and support cases of month m."""
    state["seats"][:, m] = seats
    active = rng.binomial(seats.astype(np.int64), sigmoid(0.8 + 1.3 * health))
    state["active_users"][:, m] = active
    state["events"][:, m] = rng.poisson(active * 160.0 * np.exp(0.25 * health))
    state["cases"][:, m] = rng.poisson(0.12 * np.sqrt(seats) * np.exp(-0.7 * health))


def churn_features(
    state: dict[str, np.ndarray] | CustomerHistory, m: int, start: np.ndarray
) -> dict[str, np.ndarray]:
    """Inputs of the churn hazard for month m, all observable at the start of month m."""
    get = state.__getitem__ if isinstance(state, dict) else state.__getattribute__
    active, seats, cases = get("active_users"), get("seats"), get("cases")
    previous_seats = np.maximum(seats[:, m - 1], 1)
    return {
        "usage_trend": np.log1p(active[:, m - 1]) - np.log1p(active[:, m - 3]),
        "utilisation": active[:, m - 1] / previous_seats,
        "cases_3m": cases[:, m - 3 : m].sum(axis=1),
        "tenure_months": np.maximum(m - start, 0),
        "seats": previous_seats,
    }


def _hazard(
    state: dict[str, np.ndarray], m: int, plan: np.ndarray, start: np.ndarray
) -> np.ndarray:
    x = churn_features(state, m, start)
    logit = (
        CHURN_INTERCEPT
        + CHURN_TREND * x["usage_trend"]
        + CHURN_UTILISATION * (x["utilisation"] - 0.6)
        + CHURN_CASES * x["cases_3m"]
        + CHURN_TENURE * np.log1p(x["tenure_months"])
        + CHURN_PLAN[plan]
        + CHURN_SEATS * np.log(x["seats"])
    )
    eligible = m - start >= MIN_TENURE_MONTHS
    return np.where(eligible, sigmoid(logit), np.nan)


def _seat_change(
    rng: np.random.Generator, state: dict[str, np.ndarray], m: int, seats: np.ndarray
) -> np.ndarray:
    """Busy accounts buy seats, idle ones give seats back (effective next month)."""
    utilisation = state["active_users"][:, m] / np.maximum(seats, 1)
    p_expand = sigmoid(-3.4 + 4.0 * (utilisation - 0.8))
    p_contract = sigmoid(-4.0 - 4.0 * (utilisation - 0.5))
    u = rng.random(len(seats))
    return np.select([u < p_expand, u < p_expand + p_contract], [1, -1], 0)
