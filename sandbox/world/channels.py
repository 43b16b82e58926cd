"""The seven acquisition channels, their organic volumes and how each one shows up in GA4."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

CHANNELS = (
    "paid_social",
    "paid_search",
    "organic_search",
    "direct",
    "email",
    "referral",
    "organic_social",
)
PAID_SOCIAL, PAID_SEARCH, ORGANIC_SEARCH, DIRECT, EMAIL, REFERRAL, ORGANIC_SOCIAL = range(7)
PROSPECT, SELF_SERVE, OTHER = range(3)  # visitor segments


class Channel(NamedTuple):
    base_sessions: float  # sessions per day at small scale (organic channels only)
    new_user_share: float  # share of the channel's sessions that are first visits
    segment_mix: tuple[float, float, float]  # prospect / self-serve / other among new users


CHANNEL_SPECS: dict[int, Channel] = {
    PAID_SOCIAL: Channel(0.0, 0.85, (0.55, 0.25, 0.20)),
    PAID_SEARCH: Channel(0.0, 0.55, (0.62, 0.25, 0.13)),
    ORGANIC_SEARCH: Channel(15.0, 0.70, (0.45, 0.25, 0.30)),
    DIRECT: Channel(11.5, 0.30, (0.55, 0.30, 0.15)),
    EMAIL: Channel(3.45, 0.15, (0.70, 0.20, 0.10)),
    REFERRAL: Channel(2.65, 0.75, (0.55, 0.30, 0.15)),
    ORGANIC_SOCIAL: Channel(2.3, 0.75, (0.40, 0.25, 0.35)),
}
ORGANIC_CHANNELS = (ORGANIC_SEARCH, DIRECT, EMAIL, REFERRAL, ORGANIC_SOCIAL)
# Newsletters go out on Tuesdays and nurture mails on Thursdays: email visits follow the sends.
EMAIL_WEEKLY = np.array([0.6, 2.4, 0.8, 1.6, 0.7, 0.4, 0.5]) / 1.0
EMAIL_WEEKLY = EMAIL_WEEKLY / EMAIL_WEEKLY.mean()


class Referrer(NamedTuple):
    source: str
    referrer: str
    weight: float


SEARCH_ENGINES = (
    Referrer("google", "https://www.google.com/", 0.86),
    Referrer("bing", "https://www.bing.com/", 0.10),
    Referrer("duckduckgo", "https://duckduckgo.com/", 0.04),
)
REFERRAL_SITES = (
    Referrer("g2.com", "https://www.g2.com/products/mdp-demo/reviews", 0.35),
    Referrer("capterra.com", "https://www.capterra.com/p/mdp-demo/", 0.25),
    Referrer("producthunt.com", "https://www.producthunt.com/products/mdp-demo", 0.10),
    Referrer("blog.partnerhub.example", "https://blog.partnerhub.example/revops-stack", 0.20),
    Referrer("news.ycombinator.com", "https://news.ycombinator.com/", 0.10),
)
SOCIAL_SITES = (
    Referrer("linkedin.com", "https://www.linkedin.com/", 0.55),
    Referrer("t.co", "https://t.co/", 0.20),
    Referrer("m.facebook.com", "https://m.facebook.com/", 0.10),
    Referrer("reddit.com", "https://www.reddit.com/", 0.15),
)
META_PUBLISHERS = (
    Referrer("facebook", "https://l.facebook.com/", 0.7),
    Referrer("instagram", "https://l.instagram.com/", 0.3),
)
DIRECT_SOURCE, DIRECT_MEDIUM, DIRECT_CAMPAIGN = "(direct)", "(none)", "(direct)"
