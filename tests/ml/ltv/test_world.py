"""The LTV models on the sandbox world: its purchase simulator, and the small world's marts."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.ltv.bgnbd import expected_purchases, probability_alive
from ml.ltv.evaluate import evaluate_against_truth, read_truth
from ml.ltv.features import purchase_summary
from ml.ltv.score import customer_ltv
from ml.ltv.train import fit_ltv_models
from ml.ltv.value import contractual_ltv
from sandbox.world.ltv import LTV_PARAMETERS, simulate_purchases
from sandbox.world.truth import ltv_customer_truth

Z_MAX = 4.0
SMALL_MARTS = Path("/work/mlbase/small.duckdb")
SMALL_TRUTH = Path(__file__).resolve().parents[3] / ".local/sandbox/worlds/small-seed42/truth"
if not SMALL_TRUTH.exists():  # a worktree has no .local/: use the main checkout's world
    SMALL_TRUTH = Path("/work/main/.local/sandbox/worlds/small-seed42/truth")
WORLD_END = date(2026, 1, 1)  # the small world covers 2025; its truth looks 365 days past it
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


needs_small_world = pytest.mark.skipif(
    not (SMALL_MARTS.exists() and SMALL_TRUTH.exists()), reason="small world marts/truth absent"
)


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory):
    from mdp.warehouse.duckdb import DuckDBWarehouse

    path = tmp_path_factory.mktemp("ltv") / "small.duckdb"
    shutil.copy(SMALL_MARTS, path)  # the warehouse opens read-write: never touch the original
    with DuckDBWarehouse(path) as warehouse:
        yield warehouse


@needs_small_world
def test_warehouse_features_match_the_world(small_warehouse):
    buyers = purchase_summary(small_warehouse, WORLD_END)
    _, truth = read_truth(SMALL_TRUTH)
    joined = buyers.merge(truth, on="user_pseudo_id", validate="one_to_one")
    assert len(joined) == len(buyers) == len(truth)
    # every purchase of every buyer reached the mart, and frequency counts repeats only
    assert (joined["frequency"] + 1 == joined["purchases_in_world"]).all()
    # days: a first purchase in the world's year is 0-365 days before its end
    assert ((joined["T"] > 0) & (joined["T"] <= N_DAYS) & (joined["recency"] <= joined["T"])).all()
    assert joined.loc[joined["frequency"] == 0, "monetary"].isna().all()
    assert (joined.loc[joined["frequency"] > 0, "monetary"] > 0).all()


@needs_small_world
def test_small_world_fit_is_near_the_truth(small_warehouse):
    """150 buyers identify the parameters loosely: compare on the log scale, where the MLE is
    closer to normal, within 4 Hessian SEs."""
    buyers = purchase_summary(small_warehouse, WORLD_END)
    params, truth = read_truth(SMALL_TRUTH)
    models = fit_ltv_models(buyers)
    report = evaluate_against_truth(models, buyers, params, truth)
    table = report["parameters"]
    assert (table["z_log"].abs() < Z_MAX).all(), table
    assert report["n_buyers"] == 150


@needs_small_world
def test_customer_ltv_rows(small_warehouse):
    churn = pd.DataFrame({"account_id": ["0018d0000000144AAA"], "churn_probability": [0.05]})
    table = customer_ltv(small_warehouse, WORLD_END, churn, horizon_months=12)
    rows = table.to_pandas()
    buyers = rows[rows["ltv_type"] == "non_contractual"]
    subs = rows[rows["ltv_type"] == "contractual"]
    assert len(buyers) == 150 and buyers["user_pseudo_id"].is_unique
    assert subs["account_id"].is_unique and subs["account_id"].notna().all()
    assert (rows["predicted_ltv"] > 0).all() and (rows["horizon_months"] == 12).all()
    assert ((buyers["p_alive"] > 0) & (buyers["p_alive"] <= 1)).all()
    # the given churn score is used for its account, the pooled baseline for the others
    scored = subs.set_index("account_id").loc["0018d0000000144AAA"]
    assert scored["churn_probability_source"] == "model"
    assert scored["predicted_ltv"] == pytest.approx(
        contractual_ltv([scored["mrr"]], [0.05], 12).ltv[0]
    )
    assert (subs["churn_probability_source"] == "baseline").sum() == len(subs) - 1
    assert b"ltv_params" in table.schema.metadata
