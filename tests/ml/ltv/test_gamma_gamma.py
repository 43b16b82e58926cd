"""Gamma-Gamma: parameter recovery, Hessian SEs against repeated fits, spend predictions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from ml.ltv.errors import LtvInputError
from ml.ltv.gamma_gamma import (
    expected_average_spend,
    fit_gamma_gamma,
    log_likelihood,
    population_mean_spend,
)
from tests.ml.ltv.simulation import simulate_gamma_gamma

WORLD = {"p": 5.0, "q": 3.0, "gamma": 80.0}  # the sandbox world's spend parameters
Z_MAX = 4.0


def _repeat_buyers(rng: np.random.Generator, n: int, params: dict[str, float]):
    frequency = rng.geometric(0.35, n).astype(float)  # 1, 2, 3, ... repeat purchases
    return frequency, simulate_gamma_gamma(rng, frequency, params)


def test_fit_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    frequency, monetary = _repeat_buyers(rng, 30_000, WORLD)
    fit = fit_gamma_gamma(frequency, monetary)
    assert fit.converged, fit.message
    for name, true in WORLD.items():
        z = (fit.params[name] - true) / fit.standard_errors[name]
        assert abs(z) < Z_MAX, (name, fit.params[name], fit.standard_errors[name])
        assert fit.standard_errors[name] < 0.1 * true, name
    assert fit.log_likelihood >= log_likelihood(WORLD, frequency, monetary).sum()


def test_hessian_standard_errors_match_repeated_fits():
    rng = np.random.default_rng(5)
    fits = [fit_gamma_gamma(*_repeat_buyers(rng, 2_000, WORLD)) for _ in range(40)]
    for name in WORLD:
        spread = np.std([f.params[name] for f in fits], ddof=1)
        hessian = np.mean([f.standard_errors[name] for f in fits])
        # the SD of 40 draws is itself uncertain by ~1/sqrt(2·39) ≈ 11%: allow 3 of those
        assert hessian == pytest.approx(spread, rel=0.35), name


def test_density_integrates_to_one_and_matches_mixture():
    x = 3.0
    density = lambda z: np.exp(log_likelihood(WORLD, x, z))  # noqa: E731
    total, _ = integrate.quad(density, 0, np.inf)
    assert total == pytest.approx(1.0, rel=1e-8)
    # at one point: ∫ Gamma(x·z̄; p·x, ν)·x · Gamma(ν; q, γ) dν
    z = 150.0
    mixed, _ = integrate.quad(
        lambda nu: (
            x
            * stats.gamma.pdf(x * z, WORLD["p"] * x, scale=1 / nu)
            * stats.gamma.pdf(nu, WORLD["q"], scale=1 / WORLD["gamma"])
        ),
        0,
        np.inf,
    )
    assert density(z) == pytest.approx(mixed, rel=1e-7)


def test_expected_spend_is_the_credibility_weighted_mean():
    p, q, gamma = WORLD.values()
    population = population_mean_spend(WORLD)
    assert population == pytest.approx(p * gamma / (q - 1))
    x, z = np.array([0.0, 1.0, 5.0, 50.0]), np.array([1.0, 300.0, 300.0, 300.0])
    weight = (q - 1) / (p * x + q - 1)
    expected = weight * population + (1 - weight) * np.where(x > 0, z, 0)
    assert expected_average_spend(WORLD, x, z) == pytest.approx(expected)
    # the more purchases, the closer to the customer's own mean
    assert np.all(np.diff(np.abs(expected_average_spend(WORLD, x[1:], z[1:]) - 300.0)) < 0)


def test_spend_model_refuses_one_time_buyers():
    with pytest.raises(LtvInputError, match="repeat buyers"):
        fit_gamma_gamma([0, 1, 2], [10.0, 20.0, 30.0])
    with pytest.raises(LtvInputError, match="infinite"):
        expected_average_spend({"p": 1.0, "q": 0.9, "gamma": 10.0}, [1], [10.0])
