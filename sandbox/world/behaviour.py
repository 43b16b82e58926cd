"""What happens inside each session: pages seen, experiments shown, forms filled, sign-ups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world import experiments as ex
from sandbox.world.channels import OTHER, PROSPECT, SELF_SERVE
from sandbox.world.lead_model import FORMS, form_probabilities, lead_logit
from sandbox.world.stats import first_success, group_cumsum, sigmoid
from sandbox.world.vocab import HOME_PAGE_INDEX

_MAX_EXTRA_PAGES = 11
_PRICING_SEGMENT = np.array([0.0, 0.3, -1.2])  # prospect, self-serve, other
TRIAL_SHARE = 0.8  # sign-ups that start a trial in the same session


def simulate_behaviour(
    rng: np.random.Generator,
    sessions: pd.DataFrame,
    users: pd.DataFrame,
    landing: np.ndarray,
    n_days: int,
) -> pd.DataFrame:
    """Per-session behaviour columns, aligned with `sessions` (sorted by user)."""
    user = sessions["user"].to_numpy()
    day = sessions["day"].to_numpy()
    intent = users["intent"].to_numpy()[user]
    segment = users["segment"].to_numpy()[user]
    out = pd.DataFrame(index=sessions.index)
    mu = np.exp(0.1 + 0.25 * intent) * np.where(segment == OTHER, 0.6, 1.0)
    out["n_pages"] = 1 + np.minimum(rng.poisson(mu), _MAX_EXTRA_PAGES)
    pricing = rng.random(len(user)) < sigmoid(-1.3 + 0.9 * intent + _PRICING_SEGMENT[segment])
    out["pricing"] = pricing
    out["pricing_position"] = np.where(pricing, rng.integers(1, out["n_pages"] + 1), -1)
    pricing_exp, signup_exp, home_exp = ex.EXPERIMENTS
    out[pricing_exp.experiment_id] = ex.exposures(pricing_exp, day, pricing, user, n_days)
    out[home_exp.experiment_id] = ex.exposures(
        home_exp, day, landing == HOME_PAGE_INDEX, user, n_days
    )
    prior_sessions = sessions["session_number"].to_numpy() - 1
    _leads(rng, out, user, intent, segment, sessions["channel"].to_numpy(), prior_sessions)
    _sign_ups(rng, out, user, day, intent, segment, n_days, signup_exp)
    for experiment in ex.EXPERIMENTS:
        variant = out[experiment.experiment_id].to_numpy()
        loss = np.asarray(experiment.exposure_loss)[np.maximum(variant, 0)]
        out[f"{experiment.experiment_id}_logged"] = (variant >= 0) & (rng.random(len(user)) >= loss)
    return out


def _leads(
    rng: np.random.Generator,
    out: pd.DataFrame,
    user: np.ndarray,
    intent: np.ndarray,
    segment: np.ndarray,
    channel: np.ndarray,
    prior_sessions: np.ndarray,
) -> None:
    """Prospects fill a form with a per-session probability; only the first fill is a lead."""
    logit = lead_logit(intent, out["pricing"].to_numpy(), channel, prior_sessions)
    for experiment in (ex.EXPERIMENTS[0], ex.EXPERIMENTS[2]):
        logit = logit + ex.log_lift(experiment, out[experiment.experiment_id].to_numpy())
    p_lead = np.where(segment == PROSPECT, sigmoid(logit), 0.0)
    out["p_lead"] = p_lead
    out["lead"] = first_success(user, rng.random(len(user)) < p_lead)
    probs = form_probabilities(intent)
    chosen = (rng.random(len(user))[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    out["form"] = np.where(out["lead"], np.minimum(chosen, len(FORMS) - 1), -1)


def _sign_ups(
    rng: np.random.Generator,
    out: pd.DataFrame,
    user: np.ndarray,
    day: np.ndarray,
    intent: np.ndarray,
    segment: np.ndarray,
    n_days: int,
    experiment: ex.Experiment,
) -> None:
    """Self-serve visitors reach /signup, may sign up (once) and usually start a trial."""
    view_p = sigmoid(-1.8 + 0.8 * intent + 0.8 * out["pricing"].to_numpy())
    view = (segment == SELF_SERVE) & (rng.random(len(user)) < view_p)
    variant = ex.exposures(experiment, day, view, user, n_days)
    p_signup = np.where(view, sigmoid(-0.6 + 0.5 * intent + ex.log_lift(experiment, variant)), 0.0)
    sign_up = first_success(user, rng.random(len(user)) < p_signup)
    # Someone who already signed up logs in to the app instead of visiting /signup again.
    signed_before = group_cumsum(sign_up.astype(np.float64), user, exclusive=True) > 0
    out["p_signup"] = p_signup
    out["signup_view"] = view & ~signed_before
    out[experiment.experiment_id] = np.where(signed_before, -1, variant)
    out["sign_up"] = sign_up
    out["begin_trial"] = sign_up & (rng.random(len(user)) < TRIAL_SHARE)


def idle_behaviour(n: int) -> pd.DataFrame:
    """Behaviour columns of sessions with no browsing decisions (purchase visits)."""
    out = pd.DataFrame({"n_pages": np.ones(n, dtype=np.int64)})
    for flag in ("pricing", "lead", "signup_view", "sign_up", "begin_trial"):
        out[flag] = np.zeros(n, dtype=bool)
    for column in ("pricing_position", "form"):
        out[column] = np.full(n, -1, dtype=np.int64)
    for column in ("p_lead", "p_signup"):
        out[column] = np.zeros(n)
    for experiment in ex.EXPERIMENTS:
        out[experiment.experiment_id] = np.full(n, -1, dtype=np.int64)
        out[f"{experiment.experiment_id}_logged"] = np.zeros(n, dtype=bool)
    return out
