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


def test_lead_scores_are_whole_percent_with_tiers_from_the_cut_offs(ml_settings: Any) -> None:
    CATALOG["lead_scoring"].run_train(ml_settings)
    CATALOG["lead_scoring"].run_score(ml_settings)
    scores = _table(ml_settings, "scores.lead_scores")
    assert (scores["score"] == (scores["probability"] * 100).round().astype(int)).all()
    assert scores["score"].between(0, 100).all()
    ml = ml_settings.ml
    expected = scores["score"].map(
        lambda score: (
            "Hot"
            if score >= 100 * ml.lead_hot_threshold
            else "Warm"
            if score >= 100 * ml.lead_warm_threshold
            else "Cold"
        )
    )
    assert (scores["tier"] == expected).all()


def test_only_open_leads_are_scored(ml_settings: Any) -> None:
    """Converted and disqualified leads (and deleted ones, which never reach the marts) get no
    score: sales cannot act on them and Salesforce refuses writes to converted leads."""
    from tests.ml.conftest import query

    CATALOG["lead_scoring"].run_train(ml_settings)
    CATALOG["lead_scoring"].run_score(ml_settings)
    scored = query(
        ml_settings,
        """
        select s.lead_id, l.lead_status, l.is_converted
        from scores.lead_scores as s
        left join marts.fct_leads as l using (lead_id)
        """,
    )
    assert len(scored) > 0 and scored["lead_status"].notna().all()
    assert not scored["is_converted"].any()
    assert not scored["lead_status"].isin(ml_settings.ml.lead_closed_statuses).any()
    # the filter is exercised: the scoring window holds closed leads that were left out
    window = query(
        ml_settings,
        """
        select count(*) as closed from marts.fct_leads
        where (is_converted or lead_status in ('Converted', 'Disqualified'))
            and created_at >= (select max(created_at) from marts.fct_leads) - interval 90 day
        """,
    )
    assert int(window["closed"][0]) > 0


def test_reasons_are_sentences_from_the_feature_definitions(ml_settings: Any) -> None:
    for model in ("lead_scoring", "churn"):
        CATALOG[model].run_train(ml_settings)
        CATALOG[model].run_score(ml_settings)
    leads = _table(ml_settings, "scores.lead_scores")
    churn = _table(ml_settings, "scores.churn_scores")
    reasons = pd.concat([leads[f"reason_{i}"] for i in (1, 2, 3)]).dropna()
    reasons = pd.concat([reasons, *(churn[f"reason_{i}"].dropna() for i in (1, 2, 3))])
    assert len(reasons) > 0
    assert reasons.str.match(r"^[▲▼] [A-Z0-9~]").all()  # a mark, then a sentence
    # never a column name or a raw log value
    assert not reasons.str.contains(r"_|=|\(raises\)|log", regex=True).any()
    assert set(churn["horizon"]) == {"1M", "3M"}
    assert churn["risk_score"].between(0, 100).all()
    assert set(churn["risk_level"]) <= {"High", "Medium", "Low"}


def test_a_churn_horizon_without_a_champion_is_skipped_and_the_other_scores(
    ml_settings: Any,
) -> None:
    from mlflow import MlflowClient

    from ml.common.scoring import SkippedScoring

    CATALOG["churn"].run_train(ml_settings)
    MlflowClient().delete_registered_model_alias("mdp_churn_1m", "champion")
    loads = CATALOG["churn"].run_score(ml_settings)
    skipped = [load for load in loads if isinstance(load, SkippedScoring)]
    assert len(skipped) == 1 and "1M churn risk (next 1 month) skipped" in skipped[0].reason
    assert "mdp_churn_1m" in skipped[0].reason
    churn = _table(ml_settings, "scores.churn_scores")
    assert set(churn["horizon_months"]) == {3} and len(churn) > 0


def test_unknown_model_is_a_named_error() -> None:
    with pytest.raises(UnknownModelError, match="lead_scoring") as caught:
        select("lead_scoringg")
    assert caught.value.exit_code == 2  # a usage error, as the CLI's others


def test_the_catalogue_lists_a_model_after_those_whose_scores_it_reads() -> None:
    names = list(CATALOG)
    for position, entry in enumerate(CATALOG.values()):
        assert set(entry.scores_after) <= set(names[:position]), entry.name
    assert CATALOG["ltv"].scores_after == ("churn",)
    assert [entry.name for entry in select(None)] == names


def test_the_dags_skip_a_model_whose_data_is_too_thin_and_say_why(tiny_settings: Any) -> None:
    """The tiny world (5 won leads) cannot train lead scoring: its ml_train task is skipped with
    the reason, and its ml_score task is skipped because no champion exists."""
    from airflow.sdk.exceptions import AirflowSkipException

    from dags.ml_score import score_model
    from dags.ml_train import train_model

    with pytest.raises(AirflowSkipException, match=r"mdp_lead_scoring skipped: .*history"):
        train_model.function("lead_scoring")
    with pytest.raises(AirflowSkipException, match="lead_scoring: "):
        score_model.function("lead_scoring")
    # MLflow shows the skipped run as what it is, with the reason, not as FAILED
    from mlflow import MlflowClient

    from ml.common.tracking import experiment_name

    experiment = MlflowClient().get_experiment_by_name(experiment_name("lead_scoring"))
    (run,) = MlflowClient().search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.tags["mdp.outcome"] == "skipped"
    assert "history" in run.data.tags["mdp.skip_reason"]
    assert "mdp_lead_scoring skipped" in run.data.tags["mlflow.note.content"]
    assert int(run.data.params["rows"]) > 0
