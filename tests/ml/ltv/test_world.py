"""The LTV models on the sandbox world: its purchase simulator, and the tiny world's marts."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from ml.ltv.bgnbd import expected_purchases, probability_alive
from ml.ltv.evaluate import evaluate_against_truth
from ml.ltv.features import purchase_summary, subscription_summary
from ml.ltv.score import customer_ltv
from ml.ltv.train import fit_ltv_models
from ml.ltv.value import contractual_ltv
from sandbox.world.ltv import LTV_PARAMETERS, simulate_purchases
from sandbox.world.truth import ltv_customer_truth

Z_MAX = 4.0
N_DAYS = 365


def _summarise(purchases: pd.DataFrame, n_days: int) -> pd.DataFrame:
    """The features' definitions (days; repeat-purchase mean value) on the simulator's output."""
    by_user = purchases.sort_values(["user", "time"]).groupby("user")
    first, last = by_user["time"].min(), by_user["time"].max()
    repeat_value = purchases.loc[by_user.cumcount() > 0].groupby("user")["value"].mean()
    return pd.DataFrame(
        {
            "user_pseudo_id": first.index.astype(str),
            "frequency": by_user.size().to_numpy() - 1,
            "recency": (last - first).to_numpy(),
            "T": (n_days - first).to_numpy(),
            "monetary": repeat_value.reindex(first.index).to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def simulated_world():
    """The world's own purchase simulator with 120k trials (≈ 40k buyers), as in a big world."""
    rng = np.random.default_rng(42)
    trials = 120_000
    simulated = simulate_purchases(rng, np.arange(trials), rng.integers(0, N_DAYS, trials), N_DAYS)
    buyers = _summarise(simulated.purchases, N_DAYS)
    truth = ltv_customer_truth(simulated, np.arange(trials).astype(str)).to_pandas()
    return buyers, truth


@pytest.fixture(scope="module")
def world_models(simulated_world):
    return fit_ltv_models(simulated_world[0])


def test_mbgnbd_recovers_the_world_parameters(world_models):
    models = world_models
    # the world tosses the dropout coin after the first purchase too: the likelihood sees it
    assert models.variant == "mbgnbd"
    assert (
        models.alternatives["mbgnbd"].log_likelihood > models.alternatives["bgnbd"].log_likelihood
    )
    truth = LTV_PARAMETERS.as_dict()
    for fit in (models.purchases, models.spend):
        for name, value in fit.params.items():
            assert abs(value - truth[name]) < Z_MAX * fit.standard_errors[name], (name, value)


def test_oracle_predictions_are_unbiased_for_the_world_truth(simulated_world, world_models):
    """With the true parameters, E[next-365-day purchases | history] is the posterior mean of the
    truth's E[purchases | λ, p, alive] (sandbox/world/ltv.py, independent code): the mean error
    over buyers is zero up to its standard error."""
    buyers, truth = simulated_world
    report = evaluate_against_truth(world_models, buyers, LTV_PARAMETERS.as_dict(), truth)
    assert report["n_buyers"] == len(buyers)
    joined = buyers.merge(truth, on="user_pseudo_id")
    true_params = {k: LTV_PARAMETERS.as_dict()[k] for k in ("r", "alpha", "a", "b")}
    predicted = expected_purchases(
        true_params, 365.0, joined["frequency"], joined["recency"], joined["T"], "mbgnbd"
    )
    error = predicted - joined["expected_purchases_next_365d"].to_numpy()
    assert abs(error.mean()) < Z_MAX * error.std(ddof=1) / np.sqrt(len(error))
    assert report["oracle"]["purchases_total_ratio"] == pytest.approx(
        predicted.sum() / joined["expected_purchases_next_365d"].sum()
    )
    # p_alive is calibrated: Σ alive − Σ p_alive has variance Σ p(1 − p)
    p_alive = probability_alive(
        true_params, joined["frequency"], joined["recency"], joined["T"], "mbgnbd"
    )
    alive = joined["alive_at_end"].to_numpy(float)
    assert report["oracle"]["p_alive_mean"] == pytest.approx(p_alive.mean())
    assert abs(alive.sum() - p_alive.sum()) < Z_MAX * np.sqrt(np.sum(p_alive * (1 - p_alive)))


@pytest.fixture(scope="module")
def tiny_warehouse(built_warehouse, tmp_path_factory):
    from mdp.warehouse.duckdb import DuckDBWarehouse

    path = tmp_path_factory.mktemp("ltv") / "tiny.duckdb"
    shutil.copy(built_warehouse, path)  # the warehouse opens read-write: never touch the original
    with DuckDBWarehouse(path) as warehouse:
        yield warehouse


def _world_end(world) -> date:
    """The snapshot the truth's expectations start from: midnight after the world's last day."""
    return world.config.end + timedelta(days=1)


@pytest.mark.dbt
def test_warehouse_features_match_the_world(tiny_warehouse, tiny_world):
    buyers = purchase_summary(tiny_warehouse, _world_end(tiny_world))
    truth = tiny_world.truth["ltv_customer_truth"].to_pandas()
    joined = buyers.merge(truth, on="user_pseudo_id", validate="one_to_one")
    assert len(joined) == len(buyers) == len(truth) > 0
    # every purchase of every buyer reached the mart, and frequency counts repeats only
    assert (joined["frequency"] + 1 == joined["purchases_in_world"]).all()
    # days: a first purchase in the world's year is 0-365 days before its end
    days = (tiny_world.config.end - tiny_world.config.start).days + 1
    assert ((joined["T"] > 0) & (joined["T"] <= days) & (joined["recency"] <= joined["T"])).all()
    assert joined.loc[joined["frequency"] == 0, "monetary"].isna().all()
    assert (joined.loc[joined["frequency"] > 0, "monetary"] > 0).all()


# No parameter-fit check on the tiny world: its 17 buyers (10 repeat) do not identify the four
# BG/NBD parameters; recovery is tested on the simulator above (tens of thousands of buyers).


@pytest.mark.dbt
def test_customer_ltv_rows(tiny_warehouse, tiny_world, world_models):
    end = _world_end(tiny_world)
    subscribers = subscription_summary(tiny_warehouse, end)
    account = subscribers["account_id"].iloc[0]
    churn = pd.DataFrame({"account_id": [account], "churn_probability": [0.05]})
    # the fit on the simulator's buyers stands in for one that 17 buyers could not support
    table = customer_ltv(tiny_warehouse, end, churn, models=world_models, horizon_months=12)
    rows = table.to_pandas()
    buyers = rows[rows["ltv_type"] == "non_contractual"]
    subs = rows[rows["ltv_type"] == "contractual"]
    truth = tiny_world.truth["ltv_customer_truth"].to_pandas()
    assert sorted(buyers["user_pseudo_id"]) == sorted(truth["user_pseudo_id"])
    assert sorted(subs["account_id"]) == sorted(subscribers["account_id"])
    assert (rows["predicted_ltv"] > 0).all() and (rows["horizon_months"] == 12).all()
    assert ((buyers["p_alive"] > 0) & (buyers["p_alive"] <= 1)).all()
    # the given churn score is used for its account, the pooled baseline for the others
    scored = subs.set_index("account_id").loc[account]
    assert scored["churn_probability_source"] == "model"
    assert scored["predicted_ltv"] == pytest.approx(
        contractual_ltv(
            [scored["mrr"]],
            [0.05],
            12,
            guaranteed_months=subscribers["guaranteed_months"].iloc[:1],
        ).ltv[0]
    )
    assert (subs["churn_probability_source"] == "baseline").sum() == len(subs) - 1
    assert b"ltv_params" in table.schema.metadata
