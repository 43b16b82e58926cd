"""Train then score on the pipeline's marts: both score tables get every common column, the
champion's version and run, and the same snapshot gives the same scores."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pytest

from ml.catalog import CATALOG, select
from ml.common.errors import UnknownModelError
from ml.common.scoring import COMMON_COLUMNS

pytestmark = pytest.mark.dbt


def _table(settings: Any, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(settings.duckdb_file), read_only=True)
    try:
        return con.execute(f"select * from {table}").df()
    finally:
        con.close()


@pytest.mark.parametrize("model", ["lead_scoring", "churn"])
def test_train_then_score_writes_reproducible_scores(ml_settings: Any, model: str) -> None:
    entry = CATALOG[model]
    results = entry.run_train(ml_settings)
    assert all(r.promotion.promoted and r.version == "1" for r in results)
    from mlflow import MlflowClient

    for r in results:  # what the MLflow UI shows for the run
        plots = {a.path for a in MlflowClient().list_artifacts(r.run_id, "evaluation")}
        assert {
            f"evaluation/{name}.png" for name in ("reliability", "lift", "feature_importance")
        } <= plots

    entry.run_score(ml_settings)
    first = _table(ml_settings, entry.score_table)
    assert set(COMMON_COLUMNS) <= set(first.columns)
    assert len(first) > 0 and first[list(COMMON_COLUMNS)].notna().all().all()
    by_name = {r.registered_name: r for r in results}
    for name, rows in first.groupby("model_name"):
        assert set(rows["model_version"]) == {by_name[name].version}
        assert set(rows["mlflow_run_id"]) == {by_name[name].run_id}
    assert first["probability"].between(0, 1).all()
    assert first["reason_1"].notna().all()

    entry.run_score(ml_settings)  # same snapshot: the merge replaces the rows with equal ones
    second = _table(ml_settings, entry.score_table)
    varying = ["scored_at"]
    keys = [c for c in first.columns if c not in {"probability", *varying}]
    pd.testing.assert_frame_equal(
        first.drop(columns=varying).sort_values(keys, ignore_index=True),
        second.drop(columns=varying).sort_values(keys, ignore_index=True),
    )


def test_lead_tiers_follow_the_configured_cut_offs(ml_settings: Any) -> None:
    CATALOG["lead_scoring"].run_train(ml_settings)
    CATALOG["lead_scoring"].run_score(ml_settings)
    scores = _table(ml_settings, "scores.lead_scores")
    ml = ml_settings.ml
    expected = scores["probability"].map(
        lambda p: (
            "Hot"
            if p >= ml.lead_hot_threshold
            else "Warm"
            if p >= ml.lead_warm_threshold
            else "Cold"
        )
    )
    assert (scores["tier"] == expected).all()


def test_unknown_model_is_a_named_error() -> None:
    with pytest.raises(UnknownModelError, match="lead_scoring"):
        select("lead_scoringg")


def test_the_catalogue_lists_a_model_after_those_whose_scores_it_reads() -> None:
    names = list(CATALOG)
    for position, entry in enumerate(CATALOG.values()):
        assert set(entry.scores_after) <= set(names[:position]), entry.name
    assert CATALOG["ltv"].scores_after == ("churn",)
    assert [entry.name for entry in select(None)] == names


def test_the_dags_skip_a_model_whose_data_is_too_thin_and_say_why(tiny_settings: Any) -> None:
    """The tiny world (3 won leads) cannot train lead scoring: its ml_train task is skipped with
    the reason, and its ml_score task is skipped because no champion exists."""
    from airflow.sdk.exceptions import AirflowSkipException

    from dags.ml_score import score_model
    from dags.ml_train import train_model

    with pytest.raises(AirflowSkipException, match=r"lead_scoring: .*more history"):
        train_model.function("lead_scoring")
    with pytest.raises(AirflowSkipException, match="lead_scoring: "):
        score_model.function("lead_scoring")
