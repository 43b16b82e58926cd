"""What the ad platforms claim: conversions attributed to the ad-day of the user's paid clicks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.channels import PAID_SEARCH, PAID_SOCIAL
from sandbox.world.ga4_events import LEAD_VALUE
from sandbox.world.lead_model import FORMS
from sandbox.world.timeline import MICROS_PER_DAY, MICROS_PER_SECOND
from sandbox.world.web import Web

LEAD, PURCHASE, SIGN_UP, BEGIN_TRIAL = "lead", "purchase", "sign_up", "begin_trial"
_KEY_SPAN = 1 << 32  # seconds per user block in the (user, time) search key


def conversions(web: Web) -> pd.DataFrame:
    """Every website conversion: the session it happened in, its kind and value."""
    sessions = web.sessions
    form = np.maximum(sessions["form"].to_numpy(), 0)
    lead_value = np.array([LEAD_VALUE[f.form_id] for f in FORMS])[form]
    kinds = [
        (sessions["lead"].to_numpy(), LEAD, lead_value),
        (
            sessions["purchase_value"].notna().to_numpy(),
            PURCHASE,
            sessions["purchase_value"].to_numpy(),
        ),
        (sessions["sign_up"].to_numpy(), SIGN_UP, np.zeros(len(sessions))),
        (sessions["begin_trial"].to_numpy(), BEGIN_TRIAL, np.zeros(len(sessions))),
    ]
    frames = [
        pd.DataFrame({"session": np.flatnonzero(mask), "kind": kind, "value": value[mask]})
        for mask, kind, value in kinds
    ]
    return pd.concat(frames, ignore_index=True)


def meta_click_attribution(web: Web, found: pd.DataFrame) -> pd.DataFrame:
    """Last Meta click within 7 days before each lead / purchase (1-day flag included)."""
    sessions = web.sessions
    is_meta = sessions["channel"].to_numpy() == PAID_SOCIAL
    last_meta = _last_flagged_session(sessions["user"].to_numpy(), is_meta)
    found = found.loc[found["kind"].isin([LEAD, PURCHASE])]
    clicked = last_meta[found["session"].to_numpy()]
    start = sessions["start_us"].to_numpy()
    lag = start[found["session"].to_numpy()] - start[np.maximum(clicked, 0)]
    in_window = (clicked >= 0) & (lag <= 7 * MICROS_PER_DAY)
    click = clicked[in_window]
    return pd.DataFrame(
        {
            "ad_idx": sessions["ad_idx"].to_numpy()[click],
            "day_idx": sessions["day"].to_numpy()[click],
            "kind": found["kind"].to_numpy()[in_window],
            "value": found["value"].to_numpy()[in_window],
            "within_1d": lag[in_window] <= MICROS_PER_DAY,
        }
    )


def _last_flagged_session(user: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """Index of the latest flagged session of the same user at or before each row (-1 if none)."""
    idx = np.where(flag, np.arange(len(flag)), -1)
    latest = np.maximum.accumulate(idx)
    user_start = np.r_[0, np.flatnonzero(np.diff(user)) + 1]
    first_row = np.repeat(user_start, np.diff(np.r_[user_start, len(user)]))
    return np.where(latest >= first_row, latest, -1)


def google_click_attribution(web: Web, found: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Credit split equally over the user's Google Ads clicks in the window before a conversion."""
    sessions = web.sessions
    user = sessions["user"].to_numpy()
    seconds = sessions["start_us"].to_numpy() // MICROS_PER_SECOND
    key = user * _KEY_SPAN + (seconds - seconds.min())
    is_google = (sessions["channel"].to_numpy() == PAID_SEARCH).astype(np.int64)
    conv = found["session"].to_numpy()
    lo = np.searchsorted(key, key[conv] - window_days * 86_400, side="left")
    hi = conv + 1
    span = hi - lo
    pair_conv = np.repeat(np.arange(len(conv)), span)
    pair_session = np.repeat(lo, span) + (
        np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    )
    google_pairs = is_google[pair_session] == 1
    pair_conv, pair_session = pair_conv[google_pairs], pair_session[google_pairs]
    n_clicks = np.bincount(pair_conv, minlength=len(conv))
    credit = 1.0 / n_clicks[pair_conv]
    return pd.DataFrame(
        {
            "ad_idx": sessions["ad_idx"].to_numpy()[pair_session],
            "day_idx": sessions["day"].to_numpy()[pair_session],
            "kind": found["kind"].to_numpy()[pair_conv],
            "credit": credit,
            "value": credit * found["value"].to_numpy()[pair_conv],
        }
    )
