"""Experiment analysis on the marts and on a small world: statsmodels agreement, SRM, verdicts."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from activation.experiments import stats
from activation.experiments.analysis import analyse
from mdp.errors import ConfigError
from mdp.settings import ExperimentSettings

CONVERSIONS = ("generate_lead", "sign_up", "begin_trial", "purchase")

#: The mart's rule, written again over the world's own events: first exposure per visitor,
#: multi-variant visitors left out, a conversion counts from the first exposure on.
COUNTS_SQL = """
with exposures as (
    select experiment_id::varchar as experiment_id, user_pseudo_id::varchar as user_id,
           arg_min(variant_id::varchar, event_timestamp) as variant_id,
           min(event_timestamp) as exposed_at, count(distinct variant_id) as variants
    from world_events where event_name = 'experience_impression' group by 1, 2
),
conversions as (
    select user_pseudo_id::varchar as user_id, event_name::varchar as event,
           min(event_timestamp) as converted_at
    from world_events group by 1, 2
),
events as (select unnest(['generate_lead', 'sign_up', 'begin_trial', 'purchase']) as event)
select e.experiment_id, e.variant_id, events.event as conversion_event,
       count(*) as exposed_users,
       count(case when c.converted_at >= e.exposed_at then 1 end) as converted_users
from exposures as e cross join events
left join conversions as c on c.user_id = e.user_id and c.event = events.event
where e.variants = 1 group by all
"""


@pytest.fixture(scope="module")
def small_world() -> Any:
    """~40k users: enough for the planted sample-ratio mismatch to show."""
    from sandbox.world import WorldConfig, generate

    return generate(WorldConfig(scale="small", seed=42))


@pytest.fixture(scope="module")
def small_counts(small_world: Any) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("world_events", small_world.tables["ga4_events"])
    try:
        return con.execute(COUNTS_SQL).df()
    finally:
        con.close()


def design(truth: pd.DataFrame) -> ExperimentSettings:
    """The world's designed allocation and primary events, as a user would configure them."""
    return ExperimentSettings(
        allocations={
            e: dict(zip(g.variant_id, g.allocation, strict=True))
            for e, g in truth.groupby("experiment_id")
        },
        primary_events=dict(zip(truth.experiment_id, truth.conversion_event, strict=True)),
    )


def test_results_table_on_the_marts_matches_statsmodels(warehouse_settings: Any) -> None:
    from activation.experiments import run

    table = run(warehouse_settings)
    con = duckdb.connect(str(warehouse_settings.duckdb_file), read_only=True)
    try:
        mart = con.execute(
            "select experiment_id, variant_id, conversion_event, exposed_users, converted_users"
            " from marts.fct_experiment_results"
        ).df()
        stored = con.execute("select * from activation.experiment_results").df()
    finally:
        con.close()
    assert len(stored) == len(mart) == table.num_rows > 0
    merged = stored.merge(
        mart, on=["experiment_id", "variant_id", "conversion_event"], suffixes=("", "_mart")
    )
    assert (merged["exposed_users"] == merged["exposed_users_mart"]).all()
    assert set(merged["allocation_source"]) == {"assumed equal (not configured)"}
    checked = 0
    for row in merged[~merged["is_control"]].itertuples():
        control = mart[
            (mart.experiment_id == row.experiment_id)
            & (mart.variant_id == "control")
            & (mart.conversion_event == row.conversion_event)
        ].iloc[0]
        xt, nt, xc, nc = (
            row.converted_users,
            row.exposed_users,
            control.converted_users,
            control.exposed_users,
        )
        if xt + xc == 0 or xt + xc == nt + nc:
            assert row.verdict_kind in ("not_measurable", "invalid")
            continue
        z, p = proportions_ztest([xt, xc], [nt, nc])
        assert (row.z_statistic, row.p_value) == pytest.approx((z, p), rel=1e-9)
        low, high = confint_proportions_2indep(
            xt, nt, xc, nc, method="wald", compare="diff", alpha=row.alpha
        )
        assert (row.absolute_lift_ci_lower, row.absolute_lift_ci_upper) == pytest.approx(
            (low, high)
        )
        checked += 1
    assert checked >= 3
    # Bonferroni: pricing_layout has two treatments, signup_flow one
    alphas = stored.groupby("experiment_id")["alpha"].first()
    assert alphas["exp_pricing_layout"] == pytest.approx(0.025)
    assert alphas["exp_signup_flow"] == pytest.approx(0.05)


def test_planted_sample_ratio_mismatch_is_flagged_and_only_it(
    small_world: Any, small_counts: pd.DataFrame
) -> None:
    truth = small_world.truth["experiment_truth"].to_pandas()
    results = analyse(small_counts, design(truth)).to_pandas()
    srm = results.groupby("experiment_id")["srm_p_value"].first()
    lossy = set(truth.loc[truth.exposure_event_loss > 0, "experiment_id"])
    assert lossy == {"exp_homepage_hero"}
    assert srm["exp_homepage_hero"] < 0.001
    assert (srm.drop("exp_homepage_hero") > 0.05).all(), srm
    treated = results[~results.is_control]
    invalid = treated[treated.experiment_id == "exp_homepage_hero"]
    assert (invalid.verdict_kind == "invalid").all()
    assert invalid.verdict.str.startswith("invalid: sample-ratio mismatch p=").all()
    assert (treated[treated.experiment_id != "exp_homepage_hero"].verdict_kind != "invalid").all()
    assert set(results.allocation_source) == {"config"}


def test_verdicts_never_contradict_the_truth_on_the_small_world(
    small_world: Any, small_counts: pd.DataFrame
) -> None:
    truth = (
        small_world.truth["experiment_truth"].to_pandas().set_index(["experiment_id", "variant_id"])
    )
    results = analyse(small_counts, design(truth.reset_index())).to_pandas()
    primary = results[results.is_primary & ~results.is_control]
    assert len(primary) == 4
    for row in primary.itertuples():
        lift = truth.loc[(row.experiment_id, row.variant_id), "true_lift_odds"]
        if row.verdict_kind == "winner":
            assert lift > 1, row
        if row.verdict_kind == "loser":
            assert lift < 1, row
        if row.verdict_kind == "inconclusive":
            assert f"MDE {row.mde_relative:+.1%}" in row.verdict


def test_verdicts_agree_with_the_truth_where_power_allows() -> None:
    """Counts drawn from known rates at a scale where some comparisons are well powered:
    every well-powered one is called in the true direction, no null one is called."""
    rates = {  # experiment -> variant -> true rate (two null arms, one small and one large lift)
        "exp_a": {"control": 0.094, "big": 0.124, "small": 0.097, "same": 0.094},
        "exp_b": {"control": 0.55, "worse": 0.50},
    }
    rng = np.random.default_rng(11)
    rows = []
    for experiment, arms in rates.items():
        for variant, rate in arms.items():
            n = 6000
            for event in CONVERSIONS:
                rows.append((experiment, variant, event, n, int(rng.binomial(n, rate))))
    counts = pd.DataFrame(
        rows,
        columns=[
            "experiment_id",
            "variant_id",
            "conversion_event",
            "exposed_users",
            "converted_users",
        ],
    )
    config = ExperimentSettings(primary_events={"exp_a": "generate_lead", "exp_b": "generate_lead"})
    results = analyse(counts, config).to_pandas()
    called = 0
    for row in results[results.is_primary & ~results.is_control].itertuples():
        control, treated = (
            rates[row.experiment_id]["control"],
            rates[row.experiment_id][row.variant_id],
        )
        power = stats.power_at(control, treated - control, 6000, 6000, row.alpha)
        if treated == control:
            assert row.verdict_kind == "inconclusive", row
        elif power >= 0.9:
            assert row.verdict_kind == ("winner" if treated > control else "loser"), row
            called += 1
    assert called == 2  # "big" (+3 pp) and "worse" (-5 pp); "small" is underpowered


def test_an_allocation_missing_a_variant_is_a_config_error(small_counts: pd.DataFrame) -> None:
    config = ExperimentSettings(allocations={"exp_signup_flow": {"control": 0.5}})
    with pytest.raises(ConfigError, match="lacks variant"):
        analyse(small_counts, config)


def test_cli_prints_the_verdicts(warehouse_settings: Any) -> None:
    from typer.testing import CliRunner

    from mdp.cli import app

    result = CliRunner().invoke(app, ["experiments", "--all-events"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "exp_pricing_layout" in result.output and "control (baseline)" in result.output
    assert "pooled variance under H0" in result.output
