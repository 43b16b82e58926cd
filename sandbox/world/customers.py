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
CHURN_INTERCEPT = -3.9
CHURN_TREND, CHURN_UTILISATION, CHURN_CASES = -1.0, -4.0, 0.25
CHURN_TENURE, CHURN_SEATS = -0.3, -0.1
CHURN_PLAN = np.array([0.5, 0.0, -0.5])
# Latent account health: AR(1) from month to month, never shown to the CRM; usage reveals it.
HEALTH_MEAN = np.array([-0.2, 0.1, 0.3])  # by plan, before the grid's first month
HEALTH_INITIAL_SD, HEALTH_PERSISTENCE, HEALTH_NOISE = 0.7, 0.97, 0.2
# Usage given health h: P(a seat is active) = sigmoid(ACTIVE_LOGIT[0] + ACTIVE_LOGIT[1] h),
# events per active user = EVENTS_PER_ACTIVE_USER exp(EVENTS_HEALTH h),
# support cases = CASE_RATE sqrt(seats) exp(CASES_HEALTH h).
ACTIVE_LOGIT = (0.8, 1.8)
EVENTS_PER_ACTIVE_USER, EVENTS_HEALTH = 160.0, 0.25
CASE_RATE, CASES_HEALTH = 0.12, -0.7
GROW_RANGE, SHRINK_RANGE = (1.1, 1.5), (0.6, 0.9)  # seat multipliers of an expansion, contraction


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
    health: np.ndarray  # the latent health behind each month's usage (not in the CRM)

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
        for name in ("seats", "active_users", "events", "cases", "change", "health")
    }
    hazard = np.full((n, n_months), np.nan)
    plan = customers["plan"].to_numpy()
    start = customers["start_month"].to_numpy()
    health = rng.normal(HEALTH_MEAN[plan], HEALTH_INITIAL_SD)
    seats = customers["seats"].to_numpy().astype(np.float64)
    last_world = HISTORY_MONTHS + n_world_months - 1
    for m in range(n_months):
        health = HEALTH_PERSISTENCE * health + rng.normal(0.0, HEALTH_NOISE, n)
        state["health"][:, m] = health
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
        health=state["health"],
    )


def _apply_change(rng: np.random.Generator, seats: np.ndarray, change: np.ndarray) -> np.ndarray:
    grow = rng.uniform(*GROW_RANGE, len(seats))
    shrink = rng.uniform(*SHRINK_RANGE, len(seats))
    return changed_seats(seats, change, grow, shrink)


def changed_seats(
    seats: np.ndarray, change: np.ndarray, grow: np.ndarray, shrink: np.ndarray
) -> np.ndarray:
    """Seats after a change: `grow` / `shrink` are the drawn multipliers (GROW_RANGE,
    SHRINK_RANGE)."""
    grown = np.ceil(seats * grow)
    shrunk = np.maximum(np.floor(seats * shrink), 1)
    return np.select([change > 0, change < 0], [grown, shrunk], seats)


def usage_rates(seats: np.ndarray, health: np.ndarray) -> dict[str, np.ndarray]:
    """The law of a month's usage given seats and health: active users ~ Binomial(seats,
    p_active), events ~ Poisson(active users × events_per_active_user), cases ~ Poisson(case_rate).
    """
    return {
        "p_active": sigmoid(ACTIVE_LOGIT[0] + ACTIVE_LOGIT[1] * health),
        "events_per_active_user": EVENTS_PER_ACTIVE_USER * np.exp(EVENTS_HEALTH * health),
        "case_rate": CASE_RATE * np.sqrt(seats) * np.exp(CASES_HEALTH * health),
    }


def _usage(
    rng: np.random.Generator,
    state: dict[str, np.ndarray],
    m: int,
    seats: np.ndarray,
    health: np.ndarray,
) -> None:
    """Active users, product events and support cases of month m."""
    state["seats"][:, m] = seats
    rates = usage_rates(seats, health)
    active = rng.binomial(seats.astype(np.int64), rates["p_active"])
    state["active_users"][:, m] = active
    state["events"][:, m] = rng.poisson(active * rates["events_per_active_user"])
    state["cases"][:, m] = rng.poisson(rates["case_rate"])


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
    eligible = m - start >= MIN_TENURE_MONTHS
    return np.where(eligible, hazard(churn_features(state, m, start), plan), np.nan)


def hazard(x: dict[str, np.ndarray], plan: np.ndarray) -> np.ndarray:
    """The true monthly churn probability from `churn_features` (past the minimum term)."""
    logit = (
        CHURN_INTERCEPT
        + CHURN_TREND * x["usage_trend"]
        + CHURN_UTILISATION * (x["utilisation"] - 0.6)
        + CHURN_CASES * x["cases_3m"]
        + CHURN_TENURE * np.log1p(x["tenure_months"])
        + CHURN_PLAN[plan]
        + CHURN_SEATS * np.log(x["seats"])
    )
    return sigmoid(logit)


def _seat_change(
    rng: np.random.Generator, state: dict[str, np.ndarray], m: int, seats: np.ndarray
) -> np.ndarray:
    """Busy accounts buy seats, idle ones give seats back (effective next month)."""
    p_expand, p_contract = seat_change_probabilities(state["active_users"][:, m], seats)
    u = rng.random(len(seats))
    return np.select([u < p_expand, u < p_expand + p_contract], [1, -1], 0)


def seat_change_probabilities(
    active_users: np.ndarray, seats: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(expansion), P(contraction) decided in a month with these active users and seats."""
    utilisation = active_users / np.maximum(seats, 1)
    return sigmoid(-3.4 + 4.0 * (utilisation - 0.8)), sigmoid(-4.0 - 4.0 * (utilisation - 0.5))
