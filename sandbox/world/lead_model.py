"""The true lead model: P(form fill | session) and P(won within 90 days | observable lead data)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sandbox.world.stats import sigmoid
from sandbox.world.vocab import COUNTRIES, INDUSTRIES, SENIORITIES

# Log-odds of a prospect submitting a form in a session.
LEAD_INTERCEPT = -5.6
LEAD_INTENT, LEAD_PRICING, LEAD_PRIOR_SESSIONS = 1.1, 1.5, 0.35
# By channel code: paid social, paid search, organic search, direct, email, referral, org. social.
LEAD_CHANNEL = np.array([-0.25, 0.55, 0.1, 0.3, 0.45, 0.1, -0.5])

# Log-odds of a lead being won within 90 days, from what the CRM and GA4 show at lead time.
WIN_INTERCEPT = -5.6
WIN_CHANNEL = np.array([-0.6, 0.3, 0.15, 0.25, -0.15, 0.2, -0.4])
WIN_SESSIONS, WIN_PRICING_VIEW, WIN_DAYS_SINCE_FIRST_VISIT = 1.1, 1.0, -0.3
_MAX_PRICING_VIEWS = 4
_REFERENCE_EMPLOYEES = 400.0


class Form(NamedTuple):
    form_id: str
    form_name: str
    base: float  # log-odds of choosing the form at intent 0
    intent_slope: float
    win_effect: float


FORMS: tuple[Form, ...] = (
    Form("demo_request", "Book a demo", 0.0, 0.8, 1.3),
    Form("contact_sales", "Contact sales", -0.6, 0.3, 0.8),
    Form("content_download", "Download: RevOps ROI guide", 0.4, -0.5, -1.3),
    Form("webinar_registration", "Webinar registration", -0.4, -0.3, -0.8),
)


def lead_logit(
    intent: np.ndarray, pricing: np.ndarray, channel: np.ndarray, prior_sessions: np.ndarray
) -> np.ndarray:
    """Log-odds that a prospect's session ends with a form fill (before any experiment lift)."""
    return (
        LEAD_INTERCEPT
        + LEAD_INTENT * intent
        + LEAD_PRICING * pricing
        + LEAD_CHANNEL[channel]
        + LEAD_PRIOR_SESSIONS * np.log1p(prior_sessions)
    )


def form_probabilities(intent: np.ndarray) -> np.ndarray:
    """(n, n_forms) probabilities of the form a prospect fills; engaged visitors ask for demos."""
    base = np.array([f.base for f in FORMS])
    slope = np.array([f.intent_slope for f in FORMS])
    logits = base[None, :] + slope[None, :] * intent[:, None]
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


class LeadFeatures(NamedTuple):
    """What a lead scoring model can see when a lead is created (arrays, one per lead)."""

    employees: np.ndarray
    industry: np.ndarray  # index into vocab.INDUSTRIES
    seniority: np.ndarray  # index into vocab.SENIORITIES (from Title)
    country: np.ndarray  # index into vocab.COUNTRIES
    channel: np.ndarray  # channel of the session with the form fill
    form: np.ndarray  # index into FORMS
    sessions: np.ndarray  # sessions up to and including the form fill
    pricing_views: np.ndarray  # sessions with a /pricing view up to the form fill
    days_since_first_visit: np.ndarray


def win_logit(x: LeadFeatures) -> np.ndarray:
    """True log-odds of closed-won within 90 days of lead creation."""
    size_z = (np.log(x.employees) - np.log(_REFERENCE_EMPLOYEES)) / 1.3
    return (
        WIN_INTERCEPT
        + 0.7 * size_z
        - 0.5 * size_z**2
        + np.array([i.lead_effect for i in INDUSTRIES])[x.industry]
        + 1.4 * np.array([s.lead_effect for s in SENIORITIES])[x.seniority]
        + np.array([c.lead_effect for c in COUNTRIES])[x.country]
        + WIN_CHANNEL[x.channel]
        + np.array([f.win_effect for f in FORMS])[x.form]
        + WIN_SESSIONS * np.log1p(x.sessions)
        + WIN_PRICING_VIEW * np.minimum(x.pricing_views, _MAX_PRICING_VIEWS)
        + WIN_DAYS_SINCE_FIRST_VISIT * np.log1p(x.days_since_first_visit)
    )


def win_probability(x: LeadFeatures) -> np.ndarray:
    return sigmoid(win_logit(x))


def expected_win_probability(x: LeadFeatures, form_probs: np.ndarray) -> np.ndarray:
    """E[P(won)] over the form the prospect would choose (x.form is ignored)."""
    total = np.zeros(len(x.employees))
    for form in range(len(FORMS)):
        forms = np.full(len(x.employees), form)
        total += form_probs[:, form] * win_probability(x._replace(form=forms))
    return total
