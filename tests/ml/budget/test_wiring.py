"""`mdp train/score budget` on the tiny world's marts: without enough response history the
channels keep their spend (rules still apply); with it, the curves' optimiser reallocates the
same total within its bounds."""

from __future__ import annotations

import json
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient

from ml.budget.score import BudgetConfig
from ml.catalog import CATALOG
from ml.common.runs import STATE_ARTIFACT
from ml.common.scoring import COMMON_COLUMNS
from tests.ml.conftest import assert_same_rows, execute, query

pytestmark = pytest.mark.dbt
ENTRY = CATALOG["budget"]
KEYS = ["recommendation_id"]
#: The tiny world's paid channels credit ~6 leads each in a year, under the curve minimum of 10:
#: four times the leads (same spend) is a copy with enough response to fit (a plumbing test).
SCALE_LEADS = "update marts.fct_channel_roi_daily set leads = leads * 4"


def _scores(settings: Any) -> Any:
    return query(settings, "select * from scores.budget_recommendations")


def _state(run_id: str) -> Any:
    return json.loads(mlflow.artifacts.load_text(f"runs:/{run_id}/{STATE_ARTIFACT}"))


def test_without_enough_history_channels_keep_their_spend(tiny_settings: Any) -> None:
    (run,) = ENTRY.run_train(tiny_settings)
    state = _state(run.run_id)
    assert state["curves"] == {}
    assert set(state["not_fitted"]) == {"Paid Search", "Paid Social"}
    assert all("minimum" in reason for reason in state["not_fitted"].values())
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.run_id, "evaluation")}
    assert "evaluation/response_curves.png" in artifacts

    ENTRY.run_score(tiny_settings)
    rows = _scores(tiny_settings)
    assert rows[list(COMMON_COLUMNS)].notna().all().all()
    optimiser = rows.loc[rows["method"] == "optimizer"]
    assert set(optimiser["channel"]) == set(state["not_fitted"])
    assert (optimiser["recommended_daily_spend"] == optimiser["current_daily_spend"]).all()
    assert set(optimiser["action"]) == {"keep"}
    rules = rows.loc[rows["method"] == "rules"]
    assert len(rules) and rules["campaign"].notna().all()
    assert (rules["recommended_daily_spend"] >= 0).all()


def test_fitted_curves_reallocate_the_same_total_within_bounds(tiny_settings: Any) -> None:
    execute(tiny_settings, SCALE_LEADS)
    (run,) = ENTRY.run_train(tiny_settings)
    logged = mlflow.get_run(run.run_id).data
    assert logged.metrics["curves_fitted"] == 2
    for channel in ("paid_search", "paid_social"):
        for field in ("theta", "k", "s", "beta"):
            assert f"curve.{channel}.{field}" in logged.metrics
    assert logged.metrics["expected_uplift_pct"] >= -1e-6  # current spend is one start

    ENTRY.run_score(tiny_settings)
    rows = _scores(tiny_settings)
    optimiser = rows.loc[rows["method"] == "optimizer"]
    assert set(optimiser["model_version"]) == {run.version}
    low, high = BudgetConfig().bound_factors
    current, recommended = optimiser["current_daily_spend"], optimiser["recommended_daily_spend"]
    assert ((recommended >= low * current - 1e-9) & (recommended <= high * current + 1e-9)).all()
    assert recommended.sum() == pytest.approx(current.sum(), rel=1e-6)
    after, before = (
        optimiser["expected_daily_target_after"],
        optimiser["expected_daily_target_before"],
    )
    assert after.sum() >= before.sum() - 1e-9

    ENTRY.run_score(tiny_settings)
    assert_same_rows(rows, _scores(tiny_settings), KEYS)
