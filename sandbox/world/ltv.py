"""Self-serve revenue: first purchase after a trial, BG/NBD repeat buying, Gamma-Gamma spend."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from sandbox.world.channels import DIRECT, EMAIL, ORGANIC_SEARCH

FIRST_PURCHASE_SHARE = 0.35  # trials that convert into a first purchase
_TRIAL_DAYS = (7, 15)  # the first purchase happens this many days after the trial starts
_REPEAT_CHANNELS = (np.array([DIRECT, EMAIL, ORGANIC_SEARCH]), np.array([0.6, 0.3, 0.1]))
ITEM_ID, ITEM_NAME = "SKU_CREDITS", "Usage credits"


@dataclass(frozen=True)
class LtvParameters:
    """BG/NBD (time unit: day) and Gamma-Gamma parameters of the repeat-purchase process."""

    r: float = 0.6  # purchase rate λ ~ Gamma(shape r, rate alpha)
    alpha: float = 45.0
    a: float = 0.9  # dropout probability after each purchase ~ Beta(a, b)
    b: float = 4.0
    p: float = 5.0  # spend per purchase ~ Gamma(shape p, rate ν)
    q: float = 3.0  # ν ~ Gamma(shape q, rate gamma)
    gamma: float = 80.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


LTV_PARAMETERS = LtvParameters()


@dataclass(frozen=True)
class Purchases:
    """Every self-serve purchase and the latent traits of every buyer."""

    purchases: pd.DataFrame  # user, time (fractional day index), value, channel
    buyers: pd.DataFrame  # user, purchase_rate, dropout, nu, alive_at_end


def simulate_purchases(
    rng: np.random.Generator, trial_user: np.ndarray, trial_day: np.ndarray, n_days: int
) -> Purchases:
    """Trials → first purchase → repeat purchases until the buyer drops out or the world ends."""
    params = LTV_PARAMETERS
    buys = rng.random(len(trial_user)) < FIRST_PURCHASE_SHARE
    first_time = (
        trial_day[buys] + rng.integers(*_TRIAL_DAYS, int(buys.sum())) + rng.random(int(buys.sum()))
    )
    in_world = first_time < n_days
    user, first_time = trial_user[buys][in_world], first_time[in_world]
    n = len(user)
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    nu = rng.gamma(params.q, 1.0 / params.gamma, n)
    buyer_idx, times, alive = _repeat_times(rng, first_time, rate, dropout, n_days)
    value = np.round(rng.gamma(params.p, 1.0 / nu[buyer_idx]), 2)
    channels, weights = _REPEAT_CHANNELS
    channel = channels[rng.choice(len(channels), len(times), p=weights)]
    purchases = pd.DataFrame(
        {
            "user": user[buyer_idx],
            "time": times,
            "value": np.maximum(value, 0.01),
            "channel": channel,
        }
    ).sort_values(["user", "time"], ignore_index=True)
    buyers = pd.DataFrame(
        {"user": user, "purchase_rate": rate, "dropout": dropout, "nu": nu, "alive_at_end": alive}
    )
    return Purchases(purchases=purchases, buyers=buyers)


def _repeat_times(
    rng: np.random.Generator,
    first_time: np.ndarray,
    rate: np.ndarray,
    dropout: np.ndarray,
    n_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Buyer index and time of every purchase; buyers still alive when the world ends."""
    n = len(first_time)
    buyer_parts, time_parts = [np.arange(n)], [first_time]
    clock = first_time.copy()
    alive = np.ones(n, dtype=bool)
    active = np.arange(n)
    while len(active):
        # BG/NBD: right after each purchase the buyer drops out with probability `dropout`.
        dies = rng.random(len(active)) < dropout[active]
        alive[active[dies]] = False
        active = active[~dies]
        clock[active] += rng.exponential(1.0 / rate[active])
        active = active[clock[active] < n_days]
        buyer_parts.append(active)
        time_parts.append(clock[active])
    return np.concatenate(buyer_parts), np.concatenate(time_parts), alive


def expected_future(buyers: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
    """E[purchases] and E[value] in the next `horizon_days` given each buyer's latent traits."""
    rate, dropout = buyers["purchase_rate"].to_numpy(), buyers["dropout"].to_numpy()
    # Purchases happen at rate λ until a purchase ends the relationship (prob. p each time):
    # E[N(T)] = (1 − exp(−λ p T)) / p for a buyer who is alive at the start of the horizon.
    count = buyers["alive_at_end"].to_numpy() * -np.expm1(-rate * dropout * horizon_days) / dropout
    mean_value = LTV_PARAMETERS.p / buyers["nu"].to_numpy()
    return pd.DataFrame({"expected_purchases": count, "expected_value": count * mean_value})
