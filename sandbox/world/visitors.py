"""Who the visitors are: segment, device, location, firmographics and latent buying intent."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.channels import CHANNEL_SPECS, CHANNELS, OTHER, PROSPECT, SELF_SERVE
from sandbox.world.vocab import COUNTRIES, DEVICES, INDUSTRIES, SENIORITIES

_RETURN_SEGMENT_FACTOR = np.array([1.0, 1.1, 0.4])  # prospect, self-serve, other
_REFERENCE_EMPLOYEES = 400.0  # the size of the ideal customer


def draw_visitors(
    rng: np.random.Generator, first_day: np.ndarray, first_channel: np.ndarray
) -> pd.DataFrame:
    """One row per user, in first-visit order, with observable and latent attributes."""
    n = len(first_day)
    users = pd.DataFrame({"first_day": first_day, "first_channel": first_channel})
    users["segment"] = _segments(rng, first_channel)
    users["device"] = rng.choice(len(DEVICES), n, p=[d.weight for d in DEVICES])
    users["country"] = rng.choice(len(COUNTRIES), n, p=[c.weight for c in COUNTRIES])
    n_cities = np.array([len(c.cities) for c in COUNTRIES])
    users["city"] = (rng.random(n) * n_cities[users["country"]]).astype(np.int64)
    _add_firmographics(rng, users)
    users["return_weight"] = (
        np.exp(0.8 * users["intent"]) * _RETURN_SEGMENT_FACTOR[users["segment"]]
    )
    return users


def _segments(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    mix = np.array([CHANNEL_SPECS[c].segment_mix for c in range(len(CHANNELS))])
    cumulative = np.cumsum(mix[channel], axis=1)
    return (rng.random(len(channel))[:, None] > cumulative).sum(axis=1)


def _add_firmographics(rng: np.random.Generator, users: pd.DataFrame) -> None:
    """Company size, industry and job level; buying intent grows with fit to the ideal customer."""
    n = len(users)
    employees = np.clip(np.round(rng.lognormal(np.log(150), 1.5, n)), 2, 100_000)
    industry = rng.choice(len(INDUSTRIES), n, p=[i.weight for i in INDUSTRIES])
    size_z = (np.log(employees) - np.log(_REFERENCE_EMPLOYEES)) / 1.3
    fit = np.array([i.fit for i in INDUSTRIES])[industry] + np.maximum(0.6 - 0.35 * size_z**2, -1.2)
    segment = users["segment"].to_numpy()
    intent = np.select(
        [segment == PROSPECT, segment == SELF_SERVE],
        [0.8 * fit + rng.normal(0.0, 1.0, n), rng.normal(0.2, 1.0, n)],
        rng.normal(-1.0, 0.8, n),
    )
    users["employees"] = employees.astype(np.int64)
    users["industry"] = industry
    users["fit"] = fit
    users["intent"] = intent
    users["seniority"] = _seniority(rng, size_z, intent)
    n_titles = np.array([len(s.titles) for s in SENIORITIES])
    users["title"] = (rng.random(n) * n_titles[users["seniority"]]).astype(np.int64)
    users.loc[segment == OTHER, "seniority"] = len(SENIORITIES) - 1


def _seniority(rng: np.random.Generator, size_z: np.ndarray, intent: np.ndarray) -> np.ndarray:
    """Gumbel-max draw: small companies send founders, engaged visitors are more senior."""
    base = np.log(np.array([0.08, 0.10, 0.17, 0.30, 0.28, 0.07]))
    senior = np.array([1.0, 0.6, 0.3, 0.0, -0.2, -0.4])
    logits = base[None, :] + senior[None, :] * (0.35 * intent - 0.5 * size_z)[:, None]
    return np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
