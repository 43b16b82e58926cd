"""BG/NBD and MBG/NBD: parameter recovery, the likelihood and the predictions against integrals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special

from ml.ltv import bgnbd
from ml.ltv.bgnbd import (
    _given_alive_by_quadrature,
    expected_purchases,
    fit_bgnbd,
    log_likelihood,
    probability_alive,
)
from ml.ltv.errors import LtvInputError
from tests.ml.ltv.simulation import simulate_bgnbd

# the sandbox world's parameters (days) and a CDNOW-like set (weeks) with a > 1
WORLD = {"r": 0.6, "alpha": 45.0, "a": 0.9, "b": 4.0}
CDNOW = {"r": 0.25, "alpha": 4.4, "a": 1.8, "b": 2.4}
SHIFT = {"bgnbd": 0, "mbgnbd": 1}
Z_MAX = 4.0  # |z| > 4 happens with probability 6e-5 per parameter under a correct model


def _individual(lam: float, p: float, x: int, t_x: float, t: float, variant: str) -> float:
    """Likelihood of (x, t_x, T) given the customer's own λ and p (no mixing)."""
    s = SHIFT[variant]
    alive = (1 - p) ** (x + s) * lam**x * np.exp(-lam * t)
    dropped = p * (1 - p) ** (x + s - 1) * lam**x * np.exp(-lam * t_x) if x + s > 0 else 0.0
    return alive + dropped


def _gauss_expectation(f, params: dict[str, float], nodes: int = 200) -> float:
    """E over the priors λ ~ Gamma(r, α), p ~ Beta(a, b) of f(λ, p), by Gauss quadrature.

    Gauss-Laguerre (weight u^(r−1)e^(−u), λ = u/α) and Gauss-Jacobi (weight p^(a−1)(1−p)^(b−1))
    carry the prior densities, including their endpoint singularities for r, a < 1; f is
    smooth. 200 nodes agree with 100 to ~1e-13 on these customers.
    """
    u, w_lam = special.roots_genlaguerre(nodes, params["r"] - 1)
    v, w_p = special.roots_jacobi(nodes, params["b"] - 1, params["a"] - 1)
    lam, p = np.meshgrid(u / params["alpha"], (1 + v) / 2, indexing="ij")
    return float(np.sum(np.outer(w_lam, w_p) * f(lam, p)) / (w_lam.sum() * w_p.sum()))


CUSTOMERS = [(0, 0.0, 12.0), (1, 4.0, 12.0), (3, 5.5, 20.0), (7, 30.0, 31.0)]
MIXED = {"r": 0.8, "alpha": 6.0, "a": 1.3, "b": 2.5}


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
def test_likelihood_equals_adaptive_integral_over_lambda_and_p(variant):
    """One customer, scipy.integrate.dblquad over the plain prior densities."""
    x, t_x, t = 3, 5.5, 20.0
    r, alpha, a, b = MIXED.values()

    def integrand(lam: float, p: float) -> float:
        log_prior = (
            r * np.log(alpha)
            + (r - 1) * np.log(lam)
            - alpha * lam
            - special.gammaln(r)
            + (a - 1) * np.log(p)
            + (b - 1) * np.log1p(-p)
            - special.betaln(a, b)
        )
        return _individual(lam, p, x, t_x, t, variant) * np.exp(log_prior)

    direct, _ = integrate.dblquad(integrand, 0, 1, 0, 50 / alpha, epsrel=1e-10, epsabs=0)
    closed = np.exp(log_likelihood(MIXED, [x], [t_x], [t], variant)[0])
    assert closed == pytest.approx(direct, rel=1e-7)


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize("a", [0.7, 1.3])
def test_likelihood_equals_quadrature(variant, a):
    params = {**MIXED, "a": a}
    for x, t_x, t in CUSTOMERS:
        direct = _gauss_expectation(
            lambda lam, p, x=x, t_x=t_x, t=t: _individual(lam, p, x, t_x, t, variant), params
        )
        closed = np.exp(log_likelihood(params, [x], [t_x], [t], variant)[0])
        assert closed == pytest.approx(direct, rel=1e-9), (x, t_x, t)


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize("a", [0.7, 1.0, 1.000001, 2.5])  # a ≤ 1 exercises the 2F1 guards
def test_expected_purchases_equal_posterior_quadrature(variant, a):
    params = {**MIXED, "a": a}
    s = SHIFT[variant]
    for x, t_x, t in CUSTOMERS:
        for horizon in (5.0, 60.0, 365.0):
            # alive customers buy at rate λ and die at rate λp: E[N] = (1 − e^(−λ p t))/p
            numerator = _gauss_expectation(
                lambda lam, p, x=x, t=t, h=horizon: (
                    (1 - p) ** (x + s) * lam**x * np.exp(-lam * t) * -np.expm1(-lam * p * h) / p
                ),
                params,
            )
            evidence = np.exp(log_likelihood(params, [x], [t_x], [t], variant)[0])
            closed = expected_purchases(params, horizon, [x], [t_x], [t], variant)[0]
            # (1 − e^(−λph))/p bends at p ≈ 1/(λh): 200 Gauss nodes resolve it to ~1e-8 at h = 365
            assert closed == pytest.approx(numerator / evidence, rel=1e-6), (x, horizon)


def _random_customers(rng: np.random.Generator, n: int):
    """Wide parameter draws and heavy buyers (x up to 300), where scipy's 2F1 is fragile."""
    for _ in range(n):
        params = {
            "r": np.exp(rng.uniform(-3, 3)),
            "alpha": np.exp(rng.uniform(-2, 7)),
            "a": np.exp(rng.uniform(-2, 3)),
            "b": np.exp(rng.uniform(-2, 4)),
        }
        x, age = int(rng.integers(0, 300)), rng.uniform(0.1, 2000)
        yield params, x, 0.5 * age if x else 0.0, age, np.exp(rng.uniform(-2, 8))


@pytest.mark.parametrize("variant", ["bgnbd", "mbgnbd"])
def test_expected_purchases_hold_for_heavy_buyers_and_long_horizons(variant):
    """The Euler-transformed 2F1 against a Gauss-Jacobi average over the posterior p."""
    rng = np.random.default_rng(1)
    for params, x, t_x, age, horizon in _random_customers(rng, 300):
        p_alive = probability_alive(params, x, t_x, age, variant)
        closed = expected_purchases(params, horizon, x, t_x, age, variant)
        b_post = params["b"] + x + SHIFT[variant]
        quadrature = _given_alive_by_quadrature(
            params["r"] + x, params["a"], b_post, horizon / (params["alpha"] + age)
        )
        assert np.isfinite(closed) and closed >= 0
        assert closed == pytest.approx(p_alive * quadrature, rel=1e-6), params


def test_expected_purchases_fall_back_when_2f1_fails(monkeypatch):
    x, t_x, age = np.array([0, 2, 40]), np.array([0.0, 30.0, 200.0]), np.array([50.0, 90.0, 250.0])
    exact = expected_purchases(WORLD, 365.0, x, t_x, age)
    monkeypatch.setattr(bgnbd, "hyp2f1", lambda *args: np.full(np.shape(args[-1]), np.nan))
    assert expected_purchases(WORLD, 365.0, x, t_x, age) == pytest.approx(exact, rel=1e-7)


def test_probability_alive_is_one_without_repeat_purchases_in_bgnbd():
    age = np.array([1.0, 50.0, 400.0])
    assert probability_alive(WORLD, np.zeros(3), np.zeros(3), age) == pytest.approx(1.0)
    # with repeat purchases a long silence makes death likely, and more so the longer it lasts
    alive = probability_alive(WORLD, [3, 3, 3], [20.0, 20.0, 20.0], [25.0, 100.0, 300.0])
    assert 1 > alive[0] > alive[1] > alive[2] > 0


def test_probability_alive_mbgnbd_one_time_buyer():
    # x = 0: alive term B(a, b+1), dropped-at-0 term B(a+1, b); ratio a/b·((α+T)/α)^r
    r, alpha, a, b = WORLD.values()
    t = np.array([0.0, 30.0, 300.0])
    expected = 1 / (1 + a / b * ((alpha + t) / alpha) ** r)
    assert probability_alive(WORLD, np.zeros(3), np.zeros(3), t, "mbgnbd") == pytest.approx(
        expected
    )
    assert expected[0] == pytest.approx(b / (a + b))  # just bought: survived one coin, P = E[1-p]


@pytest.mark.parametrize("params", [WORLD, CDNOW])
def test_expected_purchases_increase_with_horizon(params):
    horizons = np.array([0.0, 1.0, 10.0, 100.0, 1000.0, 1e5])
    for x, t_x, t in CUSTOMERS:
        e = expected_purchases(params, horizons, x, t_x, t)
        assert e[0] == 0.0
        assert np.all(np.diff(e) > 0), (x, e)
    # a > 1: E[purchases] stays below P(alive)·E[purchases before dropout | alive] = (a+b+x−1)/(a−1)
    cdnow = expected_purchases(CDNOW, 1e9, 2, 5.0, 10.0)
    a, b = CDNOW["a"], CDNOW["b"]
    limit = probability_alive(CDNOW, 2, 5.0, 10.0) * (a + b + 1) / (a - 1)
    assert cdnow == pytest.approx(limit, rel=1e-3)


@pytest.mark.parametrize(
    ("params", "variant", "n", "age_range"),
    [
        (WORLD, "bgnbd", 30_000, (30.0, 365.0)),
        (WORLD, "mbgnbd", 30_000, (30.0, 365.0)),
        (CDNOW, "bgnbd", 20_000, (27.0, 39.0)),
    ],
)
def test_fit_recovers_simulated_parameters(params, variant, n, age_range):
    rng = np.random.default_rng(7)
    age = rng.uniform(*age_range, n)
    x, t_x = simulate_bgnbd(rng, n, params, age, variant)
    fit = fit_bgnbd(x, t_x, age, variant=variant)
    assert fit.converged, fit.message
    for name, true in params.items():
        z = (fit.params[name] - true) / fit.standard_errors[name]
        assert abs(z) < Z_MAX, (name, fit.params[name], true, fit.standard_errors[name])
        # the SE is small enough for the tolerance to mean something
        assert fit.standard_errors[name] < 0.25 * true, name
    # the maximum beats the true parameters (it is a maximum of the same function)
    assert fit.log_likelihood >= np.sum(log_likelihood(params, x, t_x, age, variant))


def test_wrong_variant_is_detected_by_likelihood():
    rng = np.random.default_rng(11)
    age = rng.uniform(30.0, 365.0, 20_000)
    x, t_x = simulate_bgnbd(rng, 20_000, WORLD, age, "mbgnbd")
    right = fit_bgnbd(x, t_x, age, variant="mbgnbd")
    wrong = fit_bgnbd(x, t_x, age, variant="bgnbd")
    assert right.log_likelihood > wrong.log_likelihood + 10


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "match"),
    [
        ([-1], [0.0], [5.0], "whole number"),
        ([1.5], [1.0], [5.0], "whole number"),
        ([2], [6.0], [5.0], "recency"),
        ([0], [1.0], [5.0], "frequency 0"),
        ([1], [np.nan], [5.0], "finite"),
    ],
)
def test_bad_customer_data_is_refused(frequency, recency, age, match):
    with pytest.raises(LtvInputError, match=match):
        log_likelihood(WORLD, frequency, recency, age)
