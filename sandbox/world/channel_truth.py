"""Channel incrementality by counterfactual: remove one channel's sessions, re-evaluate outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world import experiments as ex
from sandbox.world.channels import CHANNELS, PROSPECT
from sandbox.world.lead_model import (
    LeadFeatures,
    expected_win_probability,
    form_probabilities,
    lead_logit,
)
from sandbox.world.stats import first_success_probability, group_cumsum, group_starts, sigmoid
from sandbox.world.web import Web


def channel_truth(web: Web) -> pa.Table:
    """Expected leads and won deals lost if each channel's touches had never happened.

    Expectations are over the lead, form and deal draws given the realised sessions; every
    remaining session is re-scored with counterfactual features (prior sessions, pricing views,
    days since the first remaining visit).
    """
    prospect = _prospect_sessions(web)
    factual = _expected_outcomes(prospect, np.ones(len(prospect), dtype=bool))
    rows = []
    channel = prospect["channel"].to_numpy()
    all_channels = web.sessions["channel"].to_numpy()
    for code, name in enumerate(CHANNELS):
        without = _expected_outcomes(prospect, channel != code)
        rows.append(
            {
                "channel": name,
                "sessions": int((all_channels == code).sum()),
                "incremental_leads": factual[0] - without[0],
                "incremental_won_deals": factual[1] - without[1],
            }
        )
    frame = pd.DataFrame(rows)
    for metric in ("leads", "won_deals"):
        frame[f"{metric}_rank"] = frame[f"incremental_{metric}"].rank(ascending=False).astype(int)
    frame["expected_leads"] = factual[0]
    frame["expected_won_deals"] = factual[1]
    return pa.table({name: frame[name].to_numpy() for name in frame.columns})


def _prospect_sessions(web: Web) -> pd.DataFrame:
    sessions, users = web.sessions, web.users
    user = sessions["user"].to_numpy()
    is_prospect = users["segment"].to_numpy()[user] == PROSPECT
    frame = sessions.loc[is_prospect, ["user", "day", "channel", "pricing"]].reset_index(drop=True)
    lift = np.zeros(len(frame))
    for experiment in (ex.EXPERIMENTS[0], ex.EXPERIMENTS[2]):
        variant = sessions[experiment.experiment_id].to_numpy()[is_prospect]
        lift += ex.log_lift(experiment, variant)
    frame["log_lift"] = lift
    for column in ("intent", "employees", "industry", "seniority", "country"):
        frame[column] = users[column].to_numpy()[frame["user"].to_numpy()]
    return frame


def _expected_outcomes(sessions: pd.DataFrame, keep: np.ndarray) -> tuple[float, float]:
    """(expected leads, expected won deals) when only `keep` sessions happen."""
    s = sessions.loc[keep].reset_index(drop=True)
    user = s["user"].to_numpy()
    prior = group_cumsum(np.ones(len(s)), user, exclusive=True)
    pricing = s["pricing"].to_numpy()
    intent = s["intent"].to_numpy()
    logit = lead_logit(intent, pricing, s["channel"].to_numpy(), prior) + s["log_lift"].to_numpy()
    first_lead = first_success_probability(user, sigmoid(logit))
    starts = group_starts(user)
    first_day = np.repeat(s["day"].to_numpy()[starts], np.diff(np.r_[starts, len(user)]))
    features = LeadFeatures(
        employees=s["employees"].to_numpy(),
        industry=s["industry"].to_numpy(),
        seniority=s["seniority"].to_numpy(),
        country=s["country"].to_numpy(),
        channel=s["channel"].to_numpy(),
        form=np.zeros(len(s), dtype=np.int64),
        sessions=prior + 1,
        pricing_views=group_cumsum(pricing.astype(np.float64), user),
        days_since_first_visit=s["day"].to_numpy() - first_day,
    )
    win = expected_win_probability(features, form_probabilities(intent))
    return float(first_lead.sum()), float((first_lead * win).sum())
