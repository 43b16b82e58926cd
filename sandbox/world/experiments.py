"""A/B experiments on the website: design, sticky assignment, exposures and their true effects."""

from __future__ import annotations

import zlib
from typing import NamedTuple

import numpy as np

from sandbox.world.rng import stable_uniform

PRICING, SIGNUP, HOME = "pricing", "signup", "home"
EXPOSURE_EVENT = "experience_impression"


class Experiment(NamedTuple):
    experiment_id: str
    start_share: float  # share of the world's days elapsed when it starts
    stop_share: float
    variants: tuple[str, ...]
    allocation: tuple[float, ...]
    lifts: tuple[float, ...]  # odds multiplier on the target conversion in exposed sessions
    trigger: str  # page that shows the variant (and logs the exposure)
    conversion_event: str
    exposure_loss: tuple[float, ...]  # share of exposure events never logged (planted SRM)


EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        "exp_pricing_layout",
        0.16,
        0.41,
        ("control", "compact_table", "annual_first"),
        (1 / 3, 1 / 3, 1 / 3),
        (1.0, 1.45, 0.8),
        PRICING,
        "generate_lead",
        (0.0, 0.0, 0.0),
    ),
    Experiment(
        "exp_signup_flow",
        0.50,
        0.75,
        ("control", "one_step"),
        (0.5, 0.5),
        (1.0, 1.3),
        SIGNUP,
        "sign_up",
        (0.0, 0.0),
    ),
    # Planted sample-ratio mismatch: the video variant's tag fires after a slow asset loads,
    # so 20 % of its exposure events are lost. Neither variant changes conversion.
    Experiment(
        "exp_homepage_hero",
        0.76,
        0.96,
        ("control", "video_hero"),
        (0.5, 0.5),
        (1.0, 1.0),
        HOME,
        "generate_lead",
        (0.0, 0.20),
    ),
)


def window(experiment: Experiment, n_days: int) -> tuple[int, int]:
    """[start, stop) day indices of an experiment."""
    return int(experiment.start_share * n_days), int(experiment.stop_share * n_days)


def assign_variants(experiment: Experiment, users: np.ndarray) -> np.ndarray:
    """Sticky variant index per user: a hash of (experiment, user), like a bucketing SDK."""
    salt = zlib.crc32(experiment.experiment_id.encode())
    u = stable_uniform(users, salt)
    return np.searchsorted(np.cumsum(experiment.allocation)[:-1], u, side="right")


def exposures(
    experiment: Experiment, day: np.ndarray, triggered: np.ndarray, user: np.ndarray, n_days: int
) -> np.ndarray:
    """Variant shown in each session (-1 = not exposed)."""
    start, stop = window(experiment, n_days)
    exposed = triggered & (day >= start) & (day < stop)
    return np.where(exposed, assign_variants(experiment, user), -1)


def log_lift(experiment: Experiment, variant: np.ndarray) -> np.ndarray:
    """Additive log-odds effect of the shown variant (0 where not exposed)."""
    lifts = np.log(np.asarray(experiment.lifts))
    return np.where(variant >= 0, lifts[np.maximum(variant, 0)], 0.0)
