"""Point-in-time 3-month churn truth: the health filter is right, the probability is calibrated
against what happened next, and it never looks past its month's first day."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sandbox.world import churn_outlook
from sandbox.world import customers as law
from sandbox.world.customers import CustomerHistory
from sandbox.world.truth import churn_truth

WORLD_MONTHS = 12
DRAWS = 100  # unbiased at any number of draws; the tests need many rows, not precise rows


def _history(n: int, seed: int) -> CustomerHistory:
    """Customers of every plan and tenure run through the generator's monthly process."""
    rng = np.random.default_rng(seed)
    employees = np.exp(rng.uniform(np.log(10), np.log(20_000), n))
    frame = pd.DataFrame(
        {
            "account": np.arange(n),
            "plan": law.plan_for(employees),
            "discount": np.zeros(n),
            "start_month": rng.integers(-24, WORLD_MONTHS - 2, n),
            "seats": law.initial_seats(rng, employees),
        }
    )
    months = law.month_grid(np.datetime64("2025-01", "M"), WORLD_MONTHS)
    return law.simulate_customers(rng, frame, months, WORLD_MONTHS)


def _truth(history: CustomerHistory) -> pd.DataFrame:
    ids = np.array([f"acc{i}" for i in range(len(history.customers))])
    frame = churn_truth(history, ids, WORLD_MONTHS, draws=DRAWS).to_pandas()
    frame["customer"] = frame["account_id"].str[3:].astype(int)
    frame["month_index"] = np.searchsorted(
        history.months, frame["month"].to_numpy().astype("datetime64[M]")
    )
    return frame


@pytest.fixture(scope="module")
def history() -> CustomerHistory:
    return _history(2_500, 11)


@pytest.fixture(scope="module")
def truth(history: CustomerHistory) -> pd.DataFrame:
    return _truth(history)


def test_the_health_posterior_covers_the_true_health(history: CustomerHistory) -> None:
    """(true − posterior mean) / posterior sd over observed customer-months has mean 0 and
    mean square 1 exactly when the filter is right; a wrong law or a lost observation breaks
    it (too confident) or leaves the posterior as wide as the prior."""
    active = history.active()
    z, sd = [], []
    for month, posterior in churn_outlook.health_posteriors(history):
        seen = active[:, month]
        z.append((history.health[seen, month] - posterior.mean[seen]) / posterior.sd[seen])
        sd.append(posterior.sd[seen])
    scores = np.concatenate(z)
    assert len(scores) > 20_000
    # months of a customer are correlated: allow about 4 errors of 3-fold fewer independent rows
    error = np.sqrt(3 / len(scores))
    assert abs(scores.mean()) < 4 * error
    assert abs(np.mean(scores**2) - 1) < 4 * np.sqrt(2) * error
    stationary_sd = law.HEALTH_NOISE / np.sqrt(1 - law.HEALTH_PERSISTENCE**2)
    assert np.median(np.concatenate(sd)) < stationary_sd / 3  # usage reveals health


def test_point_in_time_probability_is_calibrated_on_what_happened(truth: pd.DataFrame) -> None:
    """Every third month per customer (windows that do not overlap): the realised 3-month churn
    count is binomially close to the sum of the probabilities."""
    disjoint = truth.loc[truth["month_index"] % 3 == 0]
    p = disjoint["p_churn_3m_point_in_time"].to_numpy()
    churned = disjoint["churned_3m"].to_numpy()
    assert churned.sum() > 200
    z = (churned.sum() - p.sum()) / np.sqrt(np.sum(p * (1 - p)))
    assert abs(z) < 4


def test_point_in_time_probability_is_the_expected_path_probability(truth: pd.DataFrame) -> None:
    """The path probability (which knows the next two months' usage) averages to the point-in-
    time one given the past, in every fifth of the point-in-time probability: a far sharper
    check than outcomes (errors clustered by customer)."""
    bins = pd.qcut(truth["p_churn_3m_point_in_time"], 5, labels=False)
    for _, rows in truth.groupby(bins):
        diff = rows["p_churn_3m"] - rows["p_churn_3m_point_in_time"]
        per_customer = diff.groupby(rows["customer"]).sum()
        error = np.sqrt(np.sum(per_customer**2)) / len(rows)
        assert abs(diff.mean()) < 4 * error + 1e-4
        assert diff.std() > 10 * error  # the future does move the path probability
    assert truth["p_churn_3m_point_in_time_se"].max() < 0.05
    assert (truth["p_churn_3m_point_in_time"] >= truth["p_churn_month"]).all()


def _future_changed(history: CustomerHistory, month: int) -> CustomerHistory:
    """The same customers with different usage from `month` on (seats from month + 1: month's
    seats are known on its first day), hazards recomputed from it; churn months kept."""
    rng = np.random.default_rng(5)
    seats, active = history.seats.copy(), history.active_users.copy()
    events, cases = history.events.copy(), history.cases.copy()
    seats[:, month + 1 :] = seats[:, month + 1 :] * 2
    active[:, month:] = rng.binomial(seats[:, month:], 0.3)
    events[:, month:] = active[:, month:] * 40
    cases[:, month:] = rng.poisson(3.0, cases[:, month:].shape)
    state = {"active_users": active, "seats": seats, "cases": cases}
    plan = history.customers["plan"].to_numpy()
    start = history.customers["start_month"].to_numpy()
    hazard = history.hazard.copy()
    for t in range(month + 1, len(history.months)):
        new = law.hazard(law.churn_features(state, t, start), plan)
        hazard[:, t] = np.where(np.isnan(hazard[:, t]), np.nan, new)
    return dataclasses.replace(
        history, seats=seats, active_users=active, events=events, cases=cases, hazard=hazard
    )


def test_point_in_time_probability_ignores_the_future(
    history: CustomerHistory, truth: pd.DataFrame
) -> None:
    month = law.HISTORY_MONTHS + 6
    changed = _truth(_future_changed(history, month))
    assert (changed[["account_id", "month"]] == truth[["account_id", "month"]]).all().all()
    known = truth["month_index"] <= month
    np.testing.assert_array_equal(
        changed.loc[known, "p_churn_3m_point_in_time"], truth.loc[known, "p_churn_3m_point_in_time"]
    )
    # the change is real: it moves the path probability of those months and later months' values
    at = truth["month_index"] == month
    moved = changed.loc[at, "p_churn_3m"] != truth.loc[at, "p_churn_3m"]
    assert moved.mean() > 0.9
    later = truth["month_index"] == month + 1
    assert (
        changed.loc[later, "p_churn_3m_point_in_time"]
        != truth.loc[later, "p_churn_3m_point_in_time"]
    ).mean() > 0.9
