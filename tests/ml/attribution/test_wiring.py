"""`mdp train/score attribution` on the tiny world's marts: the fitted removal effects go to
MLflow and become Markov credits; both models credit every conversion of every type."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient

from ml.catalog import CATALOG
from ml.common.errors import NoTrainingRunError
from ml.common.runs import STATE_ARTIFACT
from ml.common.scoring import COMMON_COLUMNS
from tests.ml.conftest import assert_same_rows, query

pytestmark = pytest.mark.dbt
ENTRY = CATALOG["attribution"]
KEYS = ["attribution_credit_key"]


def test_train_then_score_credits_every_conversion_with_both_models(tiny_settings: Any) -> None:
    (run,) = ENTRY.run_train(tiny_settings)
    ENTRY.run_score(tiny_settings)
    credits = query(tiny_settings, "select * from scores.attribution_credits")
    paths = query(tiny_settings, "select * from marts.fct_conversion_paths")

    assert credits[list(COMMON_COLUMNS)].notna().all().all()
    assert set(credits["model_version"]) == {run.version}
    assert set(credits["mlflow_run_id"]) == {run.run_id}
    assert set(credits["feature_snapshot_date"]) == {paths["conversion_date"].max()}
    # every touchpoint once per model, every conversion type under both models
    assert len(credits) == 2 * len(paths) and credits["attribution_credit_key"].is_unique
    by_type = credits.groupby("conversion_type")["attribution_model"].agg(set)
    assert set(by_type.index) == set(paths["conversion_type"])
    assert all(models == {"markov", "shapley"} for models in by_type)
    sums = credits.groupby(["attribution_model", "conversion_id"])["credit"].sum()
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-9)

    # a Markov credit is the channel's removal effect over the conversion's channels' total
    effects = json.loads(mlflow.artifacts.load_text(f"runs:/{run.run_id}/{STATE_ARTIFACT}"))[
        "removal_effects"
    ]
    markov = credits.loc[(credits["attribution_model"] == "markov")]
    two = markov.groupby("conversion_id").filter(
        lambda g: (
            len(g) == 2 and g["channel"].nunique() == 2 and "Unattributed" not in set(g["channel"])
        )
    )
    conversion = two.groupby("conversion_id").head(2).iloc[:2]
    weights = effects[conversion["conversion_type"].iloc[0]]
    expected = [weights[c] for c in conversion["channel"]]
    assert conversion["credit"].tolist() == pytest.approx([w / sum(expected) for w in expected])

    ENTRY.run_score(tiny_settings)  # the same snapshot again: the same rows
    assert_same_rows(
        credits, query(tiny_settings, "select * from scores.attribution_credits"), KEYS
    )


def test_the_run_logs_effects_ranking_and_the_plot(tiny_settings: Any) -> None:
    (run,) = ENTRY.run_train(tiny_settings)
    logged = mlflow.get_run(run.run_id).data
    for conversion_type in ("lead", "won_deal", "purchase"):
        assert 0 < logged.metrics[f"{conversion_type}.p_conversion"] <= 1
        ranking = logged.params[f"{conversion_type}.channel_ranking"].split(" > ")
        effects = [
            logged.metrics[f"{conversion_type}.removal_effect.{c.lower().replace(' ', '_')}"]
            for c in ranking
        ]
        assert effects == sorted(effects, reverse=True)  # ranked by removal effect
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.run_id, "evaluation")}
    assert "evaluation/removal_effects.png" in artifacts


def test_a_past_snapshot_scores_only_the_conversions_known_then(tiny_settings: Any) -> None:
    day = date(2025, 9, 30)
    (run,) = ENTRY.run_train(tiny_settings, day)
    ENTRY.run_score(tiny_settings, day)
    credits = query(tiny_settings, "select * from scores.attribution_credits")
    known = query(
        tiny_settings,
        f"select * from marts.fct_conversion_paths where conversion_date <= date '{day}'",
    )
    assert pd.to_datetime(credits["conversion_date"]).max() <= pd.Timestamp(day)
    assert len(credits) == 2 * len(known)
    assert set(credits["feature_snapshot_date"]) == {pd.Timestamp(day)}
    assert mlflow.get_run(run.run_id).data.params["feature_snapshot_date"] == str(day)


def test_scoring_before_any_training_run_is_a_named_error(tiny_settings: Any) -> None:
    with pytest.raises(NoTrainingRunError, match="mdp train attribution"):
        ENTRY.run_score(tiny_settings)


def test_roi_marts_show_the_scored_credits_beside_the_rule_based_models(
    tiny_settings: Any, tmp_path: Any
) -> None:
    """After scoring, `dbt build -s fct_channel_roi_daily+` (the ml_score DAG's last task) puts
    markov and shapley into the ROI marts: the scored credits summed by channel, the same
    spend as every other model."""
    ENTRY.run_train(tiny_settings)
    ENTRY.run_score(tiny_settings)
    # a process of its own, as the Airflow task: dbt-duckdb keeps its connection open
    mdp = str(Path(sys.executable).parent / "mdp")
    select = ["dbt", "build", "--select", "fct_channel_roi_daily+", "--target-path", str(tmp_path)]
    done = subprocess.run([mdp, *select], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:]

    roi = query(
        tiny_settings,
        "select attribution_model, channel, sum(spend) as spend, "
        "sum(leads + customers + purchases) as conversions, "
        "sum(attributed_revenue) as revenue "
        "from marts.fct_channel_roi_monthly group by 1, 2",
    ).set_index(["attribution_model", "channel"])
    scored = query(
        tiny_settings,
        "select attribution_model, channel, sum(credit) as conversions, "
        "sum(attributed_revenue) as revenue from scores.attribution_credits group by 1, 2",
    ).set_index(["attribution_model", "channel"])
    for model in ("markov", "shapley"):
        ours = roi.loc[model].reindex(scored.loc[model].index)
        assert ours["conversions"].to_numpy() == pytest.approx(
            scored.loc[model, "conversions"].to_numpy(), abs=1e-9
        )
        assert ours["revenue"].to_numpy() == pytest.approx(
            scored.loc[model, "revenue"].to_numpy(), abs=1e-6
        )
        spend = roi.loc[model, "spend"].astype(float).sort_index()
        linear = roi.loc["linear", "spend"].astype(float).reindex(spend.index).fillna(0)
        assert spend.to_numpy() == pytest.approx(linear.to_numpy())
