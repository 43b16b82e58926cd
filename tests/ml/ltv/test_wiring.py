"""`mdp train/score ltv` on the tiny world's marts: subscribers always get an LTV (churn model
score or baseline hazard); buyers only once there are enough of them to fit the models."""

from __future__ import annotations

from datetime import date
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient

from mdp.warehouse.duckdb import DuckDBWarehouse
from ml.catalog import CATALOG
from ml.common.scoring import COMMON_COLUMNS
from ml.ltv.features import baseline_churn_probability, subscription_summary
from ml.ltv.train import MIN_BUYERS, MIN_REPEAT_BUYERS
from tests.ml.conftest import assert_same_rows, execute, query

pytestmark = pytest.mark.dbt
ENTRY = CATALOG["ltv"]
KEYS = ["ltv_type", "customer_id"]
#: Copies of every buyer's purchases (new client ids, same days): enough buyers to fit.
BUYER_COPIES = 4
REPLAY_PURCHASES = f"""
create or replace table marts.fct_purchases as
select * replace (user_pseudo_id || '-' || k as user_pseudo_id, transaction_id || '-' || k
    as transaction_id)
from marts.fct_purchases, range({BUYER_COPIES}) as r(k)
"""


def _scores(settings: Any) -> Any:
    return query(settings, "select * from scores.customer_ltv")


def _subscribers(settings: Any, day: date) -> Any:
    with DuckDBWarehouse(settings.duckdb_file) as warehouse:
        return subscription_summary(warehouse, day), baseline_churn_probability(warehouse, day)


def test_too_few_buyers_leaves_them_out_and_scores_subscribers(tiny_settings: Any) -> None:
    (run,) = ENTRY.run_train(tiny_settings)
    buyers = query(
        tiny_settings, "select count(distinct user_pseudo_id) as n from marts.fct_purchases"
    )
    assert buyers["n"][0] < MIN_BUYERS  # the tiny world: 17 buyers, too few to fit BG/NBD
    params = mlflow.get_run(run.run_id).data.params
    assert "buyers get no LTV" in params["buyer_model"] and params["variant"] == ""

    ENTRY.run_score(tiny_settings)
    rows = _scores(tiny_settings)
    day = rows["feature_snapshot_date"].iloc[0].date()
    subscribers, baseline = _subscribers(tiny_settings, day)
    assert set(rows["ltv_type"]) == {"contractual"}
    assert sorted(rows["customer_id"]) == sorted(subscribers["account_id"])
    assert rows[list(COMMON_COLUMNS)].notna().all().all()
    assert set(rows["mlflow_run_id"]) == {run.run_id} and set(rows["model_version"]) == {
        run.version
    }
    assert (rows["predicted_ltv"] >= 0).all()
    # no churn scores yet: every account gets the pooled baseline hazard
    assert set(rows["churn_probability_source"]) == {"baseline"}
    assert rows["churn_probability"].to_numpy() == pytest.approx(baseline)

    ENTRY.run_score(tiny_settings)
    assert_same_rows(rows, _scores(tiny_settings), KEYS)


def test_the_latest_one_month_churn_score_is_the_hazard(tiny_settings: Any) -> None:
    ENTRY.run_train(tiny_settings)
    account = query(  # a customer still subscribed at the snapshot (one who left has no LTV)
        tiny_settings,
        """
        select min(account_id) as a from marts.fct_customer_months
        where month_start = (select max(month_start) from marts.fct_customer_months)
            and mrr > 0 and not coalesce(churned_in_month, false)
        """,
    )["a"][0]
    # 1-month scores of two snapshots (the latest must win) and a 3-month one (must be ignored)
    execute(
        tiny_settings,
        f"""
        create schema if not exists scores;  -- dbt keeps the score sources there
        create table scores.churn_scores as select * from (values
            ('{account}', 1, 0.30, date '2025-10-01'),
            ('{account}', 1, 0.20, date '2025-11-01'),
            ('{account}', 3, 0.50, date '2025-11-01')
        ) as t(account_id, horizon_months, probability, feature_snapshot_date)
        """,
    )
    ENTRY.run_score(tiny_settings)
    rows = _scores(tiny_settings).set_index("customer_id")
    assert rows.loc[account, "churn_probability"] == pytest.approx(0.20)
    assert rows.loc[account, "churn_probability_source"] == "model"
    others = rows.drop(index=account)
    assert len(others) and set(others["churn_probability_source"]) == {"baseline"}


def test_enough_buyers_are_fitted_logged_and_scored(tiny_settings: Any) -> None:
    execute(tiny_settings, REPLAY_PURCHASES)
    (run,) = ENTRY.run_train(tiny_settings)
    logged = mlflow.get_run(run.run_id).data
    assert logged.params["buyer_model"] == "fitted"
    for name in ("r", "alpha", "a", "b", "p", "q", "gamma"):
        assert logged.metrics[name] > 0 and f"se.{name}" in logged.metrics
    assert logged.metrics["n_buyers"] >= MIN_BUYERS
    assert logged.metrics["n_repeat_buyers"] >= MIN_REPEAT_BUYERS
    assert logged.metrics["purchases_log_likelihood"] < 0
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.run_id, "evaluation")}
    assert {"evaluation/p_alive.png", "evaluation/predicted_ltv.png"} <= artifacts

    ENTRY.run_score(tiny_settings)
    rows = _scores(tiny_settings)
    buyers = rows.loc[rows["ltv_type"] == "non_contractual"]
    expected = query(tiny_settings, "select distinct user_pseudo_id from marts.fct_purchases")
    assert sorted(buyers["customer_id"]) == sorted(expected["user_pseudo_id"])
    assert (rows["predicted_ltv"] >= 0).all()
    assert ((buyers["p_alive"] > 0) & (buyers["p_alive"] <= 1)).all()
    # copies of one buyer have one history, so one value
    original = buyers["customer_id"].str.rsplit("-", n=1).str[0]
    assert (buyers.groupby(original)["predicted_ltv"].nunique() == 1).all()

    ENTRY.run_score(tiny_settings)
    assert_same_rows(rows, _scores(tiny_settings), KEYS)
