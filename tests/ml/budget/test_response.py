"""Adstock + Hill: hand values, recovery of simulated parameters and of the sandbox's truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.budget.response import fit_response, geometric_adstock, hill

SMALL = Path("/work/mlbase/small.duckdb")


def test_adstock_and_hill_by_hand() -> None:
    assert geometric_adstock(np.array([2.0, 0.0, 0.0]), 0.5, initial=0.0).tolist() == [1, 0.5, 0.25]
    # Normalised: constant spend is its own steady state.
    assert np.allclose(geometric_adstock(np.full(5, 7.0), 0.6), 7.0)
    assert hill(3.0, 3.0, 1.7) == pytest.approx(0.5)
    assert hill(6.0, 3.0, 1.0) == pytest.approx(2 / 3)


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(0)
    spend = 50 * rng.lognormal(0.0, 0.6, 730) * (rng.random(730) > 0.1)
    y = rng.poisson(200 * hill(geometric_adstock(spend, 0.5), 50.0, 1.5))
    curve = fit_response(spend, y)
    # Tolerances are ~4 sd of the estimates over 6 simulated seeds (sd: theta 0.01,
    # k 4 %, s 0.05, beta 3 %).
    assert curve.theta == pytest.approx(0.5, abs=0.04)
    assert curve.k == pytest.approx(50.0, rel=0.15)
    assert curve.s == pytest.approx(1.5, abs=0.2)
    assert curve.beta == pytest.approx(200.0, rel=0.12)
    assert curve.deviance_explained > 0.5


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    from sandbox.world import WorldConfig, generate

    generated = generate(WorldConfig(scale="small", seed=42))
    truth = generated.truth["response_curve_truth"].to_pandas()
    daily = generated.truth["media_daily_truth"].to_pandas().sort_values("date")
    return truth, daily


def test_fit_recovers_sandbox_truth_from_expected_clicks(
    world: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    truth, daily = world
    for row in truth.itertuples():
        days = daily[daily["campaign_id"] == row.campaign_id]
        curve = fit_response(
            days["spend"].to_numpy(),
            days["expected_clicks"].to_numpy(),
            multiplier=days["season"].to_numpy(),  # the world's known demand factor
            fit_mask=days["active"].to_numpy(),
        )
        # Noise-free response: only the optimiser's tolerance is left, so 2 % is generous.
        assert curve.theta == pytest.approx(row.adstock_decay, abs=0.02), row.campaign_name
        assert curve.k == pytest.approx(row.hill_half_saturation, rel=0.02), row.campaign_name
        assert curve.s == pytest.approx(row.hill_slope, rel=0.02), row.campaign_name
        assert curve.beta == pytest.approx(row.hill_scale, rel=0.02), row.campaign_name


def test_fit_on_mart_clicks_gets_the_level_at_typical_spend(
    world: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Poisson clicks (~2 a day) over a narrow spend range: the curve's level is identified,
    its shape (k, s) and decay are not, so only the level at the median spend is checked."""
    if not SMALL.exists():
        pytest.skip("small.duckdb not built")
    truth, daily = world
    with duckdb.connect(str(SMALL), read_only=True) as con:
        marts = con.sql(
            "select campaign_id, date, sum(spend)::double as spend, "
            "sum(link_clicks)::double as clicks "
            "from marts.fct_ad_performance_daily group by all"
        ).df()
    for row in truth.head(4).itertuples():  # the 4 Meta campaigns; 4 fits keep the test short
        days = daily.loc[daily["campaign_id"] == row.campaign_id, "date"]
        mine = marts[marts["campaign_id"] == row.campaign_id].set_index("date")
        frame = mine[["spend", "clicks"]].reindex(list(days), fill_value=0.0)
        curve = fit_response(frame["spend"].to_numpy(), frame["clicks"].to_numpy())
        typical = float(np.median(frame.loc[frame["spend"] > 0, "spend"]))
        true_level = row.hill_scale * hill(typical, row.hill_half_saturation, row.hill_slope)
        # Season (mean 0.98) is unknown to this fit; a year of Poisson days leaves ~3 % sd.
        assert float(curve.expected(typical)) == pytest.approx(true_level, rel=0.10)
