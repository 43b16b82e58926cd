"""Point-in-time 3-month churn truth: filter each customer's latent health from the usage the
CRM shows, then simulate the next two months with the generator's own law.

The hazards of months m + 1 and m + 2 depend on usage of months m and m + 1, unknown on the 1st
of month m. The probability a point-in-time model can reach is the expectation over that future
given what the CRM shows on the 1st of m (usage, events, seats and cases of every month before,
the seats of month m, plan and start):

    P(churn in m..m+2 | past) = 1 − (1 − h_m) · E[(1 − h_{m+1}) (1 − h_{m+2}) | past].

The usage depends on the latent health, an AR(1) process, so the past enters through the
posterior of health in month m − 1. That posterior is computed exactly up to quadrature: a
point-mass filter on a per-customer grid of GRID_POINTS points spanning ±GRID_HALF_WIDTH
standard deviations around the posterior mode (its log-likelihood is concave in health, so the
mode is found by Newton's method). The expectation over the future is a Monte Carlo average of
DRAWS paths per customer-month, drawn from a generator seeded by the month alone: a value never
depends on anything observed after its month starts. Its standard error is returned with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from sandbox.world import customers as law
from sandbox.world.customers import CustomerHistory

GRID_POINTS = 64
GRID_HALF_WIDTH = 8.0
DRAWS = 500
NEWTON_STEPS = 40
SEED = 6_003  # the Monte Carlo's own stream, independent of the world's draws
_PAIRS_PER_CHUNK = 2_000_000  # customers × grid points² per block of the prediction step
_PATHS_PER_CHUNK = 400_000  # simulated paths held in memory at once


@dataclass(frozen=True)
class HealthPosterior:
    """Posterior of each customer's health in one month, on a grid per customer."""

    grid: np.ndarray  # (customers, GRID_POINTS), evenly spaced per customer
    weight: np.ndarray  # (customers, GRID_POINTS), each row sums to 1

    @property
    def mean(self) -> np.ndarray:
        return np.sum(self.weight * self.grid, axis=1)

    @property
    def sd(self) -> np.ndarray:
        centred = self.grid - self.mean[:, None]
        return np.sqrt(np.sum(self.weight * centred**2, axis=1))


@dataclass(frozen=True)
class _Usage:
    """One month's observed usage per customer (columns so they broadcast over a grid)."""

    seats: np.ndarray
    active: np.ndarray
    events: np.ndarray
    cases: np.ndarray


def _usage(history: CustomerHistory, month: int, rows: np.ndarray) -> _Usage:
    return _Usage(
        *(
            getattr(history, name)[rows, month][:, None].astype(np.float64)
            for name in ("seats", "active_users", "events", "cases")
        )
    )


def _log_likelihood(h: np.ndarray, u: _Usage) -> np.ndarray:
    """log P(active users, events, cases | seats, health h), up to a constant in h."""
    a0, a1 = law.ACTIVE_LOGIT
    z = a0 + a1 * h
    events_rate = law.EVENTS_PER_ACTIVE_USER * np.exp(law.EVENTS_HEALTH * h)
    case_rate = law.CASE_RATE * np.sqrt(u.seats) * np.exp(law.CASES_HEALTH * h)
    return (
        u.active * z
        - u.seats * np.logaddexp(0.0, z)
        + u.events * law.EVENTS_HEALTH * h
        - u.active * events_rate
        + u.cases * law.CASES_HEALTH * h
        - case_rate
    )


def _log_likelihood_slopes(h: np.ndarray, u: _Usage) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivatives of `_log_likelihood` in h (the second is negative)."""
    a0, a1 = law.ACTIVE_LOGIT
    p = 1.0 / (1.0 + np.exp(-(a0 + a1 * h)))
    events = u.active * law.EVENTS_PER_ACTIVE_USER * np.exp(law.EVENTS_HEALTH * h)
    cases = law.CASE_RATE * np.sqrt(u.seats) * np.exp(law.CASES_HEALTH * h)
    first = (
        a1 * (u.active - u.seats * p)
        + law.EVENTS_HEALTH * (u.events - events)
        + law.CASES_HEALTH * (u.cases - cases)
    )
    second = (
        -(a1**2) * u.seats * p * (1 - p)
        - law.EVENTS_HEALTH**2 * events
        - law.CASES_HEALTH**2 * cases
    )
    return first, second


def _posterior_mode(mean: np.ndarray, var: np.ndarray, u: _Usage) -> tuple[np.ndarray, np.ndarray]:
    """Mode and curvature scale (Laplace sd) of N(mean, var) × likelihood, by Newton's method."""
    h = mean.copy()
    for _ in range(NEWTON_STEPS):
        first, second = _log_likelihood_slopes(h[:, None], u)
        gradient = first[:, 0] - (h - mean) / var
        curvature = second[:, 0] - 1.0 / var
        h = h + np.clip(-gradient / curvature, -1.0, 1.0)
    _, second = _log_likelihood_slopes(h[:, None], u)
    return h, 1.0 / np.sqrt(1.0 / var - second[:, 0])


def _log_predictive(previous: HealthPosterior, x: np.ndarray) -> np.ndarray:
    """log density of next month's health at `x` (customers, points): the AR(1) step applied
    to the previous posterior, a Gaussian mixture, up to a constant."""
    out = np.empty_like(x)
    n, g = x.shape
    block = max(1, _PAIRS_PER_CHUNK // (g * previous.grid.shape[1]))
    for lo in range(0, n, block):
        rows = slice(lo, lo + block)
        centre = law.HEALTH_PERSISTENCE * previous.grid[rows][:, None, :]
        log_terms = np.log(np.maximum(previous.weight[rows][:, None, :], 1e-300)) - (
            (x[rows][:, :, None] - centre) ** 2 / (2 * law.HEALTH_NOISE**2)
        )
        top = log_terms.max(axis=2)
        out[rows] = top + np.log(np.exp(log_terms - top[:, :, None]).sum(axis=2))
    return out


def _initial_posterior(history: CustomerHistory) -> HealthPosterior:
    """Health before the grid's first month: N(HEALTH_MEAN[plan], HEALTH_INITIAL_SD²)."""
    mean = law.HEALTH_MEAN[history.customers["plan"].to_numpy()]
    offsets = np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_POINTS)
    grid = mean[:, None] + law.HEALTH_INITIAL_SD * offsets[None, :]
    weight = np.exp(-0.5 * offsets**2)
    return HealthPosterior(grid, np.broadcast_to(weight / weight.sum(), grid.shape).copy())


def _update(previous: HealthPosterior, history: CustomerHistory, month: int) -> HealthPosterior:
    """One filter step: AR(1) prediction, then (for customers active in `month`) their usage."""
    mean = law.HEALTH_PERSISTENCE * previous.mean
    var = law.HEALTH_PERSISTENCE**2 * previous.sd**2 + law.HEALTH_NOISE**2
    centre, scale = mean.copy(), np.sqrt(var)
    seen = np.flatnonzero(history.active()[:, month])
    usage = _usage(history, month, seen)
    centre[seen], scale[seen] = _posterior_mode(mean[seen], var[seen], usage)
    offsets = np.linspace(-GRID_HALF_WIDTH, GRID_HALF_WIDTH, GRID_POINTS)
    grid = centre[:, None] + scale[:, None] * offsets[None, :]
    log_weight = _log_predictive(previous, grid)
    log_weight[seen] += _log_likelihood(grid[seen], usage)
    weight = np.exp(log_weight - log_weight.max(axis=1, keepdims=True))
    return HealthPosterior(grid, weight / weight.sum(axis=1, keepdims=True))


def health_posteriors(history: CustomerHistory) -> Iterator[tuple[int, HealthPosterior]]:
    """(t, posterior of health in month t given the usage of months ≤ t) for every grid month."""
    posterior = _initial_posterior(history)
    for month in range(len(history.months)):
        posterior = _update(posterior, history, month)
        yield month, posterior


def _draw_health(
    rng: np.random.Generator, posterior: HealthPosterior, rows: np.ndarray, draws: int
) -> np.ndarray:
    """(rows, draws) draws of health from each row's grid posterior (inverse CDF)."""
    n = len(rows)
    offset = np.arange(n)[:, None]
    cumulative = np.cumsum(posterior.weight[rows], axis=1) + offset
    u = rng.random((n, draws)) + offset
    index = np.searchsorted(cumulative.ravel(), u.ravel()).reshape(n, draws)
    index = np.minimum(index - offset * GRID_POINTS, GRID_POINTS - 1)
    return np.take_along_axis(posterior.grid[rows], index, axis=1)


def _change_seats(rng: np.random.Generator, state: dict[str, np.ndarray]) -> None:
    """Local month 3's seats from the change decided in local month 2 (the generator's law)."""
    n = len(state["seats"])
    expand, contract = law.seat_change_probabilities(
        state["active_users"][:, 2], state["seats"][:, 2]
    )
    u = rng.random(n)
    change = np.select([u < expand, u < expand + contract], [1, -1], 0)
    grow = rng.uniform(*law.GROW_RANGE, n)
    shrink = rng.uniform(*law.SHRINK_RANGE, n)
    state["seats"][:, 3] = law.changed_seats(state["seats"][:, 2], change, grow, shrink)


def _simulate_survival(
    rng: np.random.Generator,
    history: CustomerHistory,
    posterior: HealthPosterior,
    cust: np.ndarray,
    m: int,
    draws: int,
) -> np.ndarray:
    """(rows, draws) survival of months m + 1 and m + 2 along paths simulated from month m on."""
    previous = _draw_health(rng, posterior, cust, draws).ravel()
    health = law.HEALTH_PERSISTENCE * previous + rng.normal(0.0, law.HEALTH_NOISE, len(previous))
    # Local months 0..3 are m − 2 .. m + 1: 0, 1 and month m's seats are known, the rest drawn.
    state = {
        name: np.repeat(getattr(history, name)[cust, m - 2 : m + 2], draws, axis=0).astype(float)
        for name in ("active_users", "seats", "cases")
    }
    plan = np.repeat(history.customers["plan"].to_numpy()[cust], draws)
    start = np.repeat(history.customers["start_month"].to_numpy()[cust], draws) - (m - 2)
    survival = np.ones(len(health))
    for local in (2, 3):
        if local == 3:
            _change_seats(rng, state)
            noise = rng.normal(0.0, law.HEALTH_NOISE, len(health))
            health = law.HEALTH_PERSISTENCE * health + noise
        rates = law.usage_rates(state["seats"][:, local], health)
        seats = state["seats"][:, local].astype(np.int64)
        state["active_users"][:, local] = rng.binomial(seats, rates["p_active"])
        state["cases"][:, local] = rng.poisson(rates["case_rate"])
        survival *= 1 - law.hazard(law.churn_features(state, local + 1, start), plan)
    return survival.reshape(len(cust), draws)


def churn_3m_point_in_time(
    history: CustomerHistory, cust: np.ndarray, month: np.ndarray, draws: int = DRAWS
) -> tuple[np.ndarray, np.ndarray]:
    """P(churn in month m, m + 1 or m + 2 | what the CRM shows on the 1st of m) and its Monte
    Carlo standard error (`draws` paths per row), per (customer index, grid month) row; every
    row must be a month in which the customer can churn, with two months after it on the grid.
    """
    p, se = np.full(len(cust), np.nan), np.full(len(cust), np.nan)
    hazard_now = history.hazard[cust, month]
    rows_per_chunk = max(1, _PATHS_PER_CHUNK // draws)
    for t, posterior in health_posteriors(history):
        at = np.flatnonzero(month == t + 1)
        if not len(at):
            continue
        rng = np.random.default_rng([SEED, t + 1])
        for lo in range(0, len(at), rows_per_chunk):
            rows = at[lo : lo + rows_per_chunk]
            survival = _simulate_survival(rng, history, posterior, cust[rows], t + 1, draws)
            p[rows] = 1 - (1 - hazard_now[rows]) * survival.mean(axis=1)
            se[rows] = (1 - hazard_now[rows]) * survival.std(axis=1, ddof=1) / np.sqrt(draws)
    return p, se
