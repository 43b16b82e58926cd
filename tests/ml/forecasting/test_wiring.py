"""`mdp train/score forecast` on the tiny world's marts: training chooses a model per series by
backtest and logs MASE / MAPE against the seasonal-naive baseline; scoring refits the choice."""

from __future__ import annotations

import itertools
import json
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient

from ml.catalog import CATALOG
from ml.common.runs import STATE_ARTIFACT
from ml.common.scoring import COMMON_COLUMNS
from ml.forecasting.train import ForecastConfig
from tests.ml.conftest import assert_same_rows, query

pytestmark = pytest.mark.dbt
ENTRY = CATALOG["forecast"]


def test_train_then_score_forecasts_every_series_within_its_intervals(tiny_settings: Any) -> None:
    (run,) = ENTRY.run_train(tiny_settings)
    logged = mlflow.get_run(run.run_id).data
    state = json.loads(mlflow.artifacts.load_text(f"runs:/{run.run_id}/{STATE_ARTIFACT}"))
    # per series: MASE and MAPE of the chosen model and of the baseline
    for role in ("chosen", "baseline"):
        assert logged.metrics[f"daily.leads.all.{role}.mase"] > 0
        assert logged.metrics[f"daily.leads.all.{role}.mape"] >= 0
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.run_id, "evaluation")}
    assert "evaluation/forecast.png" in artifacts

    ENTRY.run_score(tiny_settings)
    rows = query(tiny_settings, "select * from scores.forecasts")
    assert rows[list(COMMON_COLUMNS)].notna().all().all()
    assert set(rows["mlflow_run_id"]) == {run.run_id} and set(rows["model_version"]) == {
        run.version
    }
    config = ForecastConfig()
    horizon = {"daily": config.horizon_days, "weekly": config.horizon_weeks}
    per_series = rows.groupby("series_key").agg(
        n=("date", "size"), frequency=("frequency", "first")
    )
    assert set(per_series.index) == set(state["series"])
    assert (per_series["n"] == per_series["frequency"].map(horizon)).all()
    assert not rows.duplicated(["series_key", "date"]).any()
    ordered = ["yhat_lower_95", "yhat_lower_80", "yhat", "yhat_upper_80", "yhat_upper_95"]
    for low, high in itertools.pairwise(ordered):
        assert (rows[low] <= rows[high] + 1e-9).all(), (low, high)
    assert (rows["yhat_lower_95"] >= 0).all()
    # each series is forecast with the model training chose for it
    chosen = {key: s["chosen"]["name"] for key, s in state["series"].items()}
    assert (rows["model"] == rows["series_key"].map(chosen)).all()

    ENTRY.run_score(tiny_settings)
    again = query(tiny_settings, "select * from scores.forecasts")
    assert_same_rows(rows, again, ["series_key", "date"])
