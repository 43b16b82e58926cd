"""Draw customer histories from the BG/NBD family and the Gamma-Gamma model, for recovery tests."""

from __future__ import annotations

import numpy as np


def simulate_bgnbd(
    rng: np.random.Generator,
    n: int,
    params: dict[str, float],
    age: np.ndarray,
    variant: str = "bgnbd",
) -> tuple[np.ndarray, np.ndarray]:
    """(frequency, recency) of n customers observed for `age` time units after a first purchase."""
    rate = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    dropout = rng.beta(params["a"], params["b"], n)
    x, t_x, clock = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.arange(n)
    if variant == "mbgnbd":  # MBG/NBD tosses the dropout coin after the first purchase too
        active = active[rng.random(n) >= dropout]
    while active.size:
        clock[active] += rng.exponential(1.0 / rate[active])
        active = active[clock[active] < age[active]]
        x[active] += 1
        t_x[active] = clock[active]
        active = active[rng.random(active.size) >= dropout[active]]
    return x, t_x


def simulate_gamma_gamma(
    rng: np.random.Generator, frequency: np.ndarray, params: dict[str, float]
) -> np.ndarray:
    """Mean of `frequency` purchase values per customer: values ~ Gamma(p, ν), ν ~ Gamma(q, γ)."""
    nu = rng.gamma(params["q"], 1.0 / params["gamma"], len(frequency))
    # a sum of x Gamma(p, ν) draws is Gamma(p·x, ν)
    return rng.gamma(params["p"] * frequency, 1.0 / nu) / frequency
