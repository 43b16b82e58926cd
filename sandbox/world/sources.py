"""Where each session comes from as GA4 sees it: source, medium, UTMs, click ids, landing page."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

import numpy as np
import pandas as pd

from sandbox.world import channels as ch
from sandbox.world.ids import click_tokens
from sandbox.world.media_plan import META, MediaPlan
from sandbox.world.site import Site
from sandbox.world.strings import StringPool
from sandbox.world.timeline import Timeline
from sandbox.world.vocab import BLOG_PAGE_INDICES, HOME_PAGE_INDEX

_STRING_COLUMNS = ("source", "medium", "campaign", "content", "term", "utm_id", "referrer", "query")
NURTURE_CAMPAIGNS = ("nurture-welcome-series", "nurture-case-studies")
_EMAIL_CONTENT = ("cta-button", "header-link", "footer-link")
# Landing pages of unpaid traffic (page codes into the general pages).
_PRODUCT, _FEATURES, _INTEGRATIONS, _CUSTOMERS, _WEBINARS = 1, 2, 3, 4, 7


@dataclass(frozen=True)
class SessionSources:
    """Per-session source columns (StringPool codes) plus paid click ids."""

    columns: dict[str, np.ndarray]
    landing_page: np.ndarray  # page code
    click_id: np.ndarray  # gclid / fbclid of paid sessions, None elsewhere
    email_campaigns: tuple[str, ...]


def attach_sources(
    rng: np.random.Generator,
    sessions: pd.DataFrame,
    plan: MediaPlan,
    site: Site,
    timeline: Timeline,
    pool: StringPool,
) -> SessionSources:
    """Fill the source columns channel by channel."""
    n = len(sessions)
    columns = {name: np.full(n, -1, dtype=np.int32) for name in _STRING_COLUMNS}
    landing = np.zeros(n, dtype=np.int32)
    click_id = np.full(n, None, dtype=object)
    channel = sessions["channel"].to_numpy()
    for code in (ch.PAID_SOCIAL, ch.PAID_SEARCH):
        rows = np.flatnonzero(channel == code)
        _paid(rng, rows, sessions, plan, site, pool, columns, landing, click_id)
    for code, referrers in (
        (ch.ORGANIC_SEARCH, ch.SEARCH_ENGINES),
        (ch.REFERRAL, ch.REFERRAL_SITES),
        (ch.ORGANIC_SOCIAL, ch.SOCIAL_SITES),
    ):
        rows = np.flatnonzero(channel == code)
        _referred(rng, rows, code, referrers, pool, columns, landing)
    _direct(rng, np.flatnonzero(channel == ch.DIRECT), pool, columns, landing)
    email_campaigns = _email_campaign_names(timeline)
    day = sessions["day"].to_numpy()
    rows = np.flatnonzero(channel == ch.EMAIL)
    _email(rng, rows, day[rows], timeline, email_campaigns, pool, columns, landing)
    return SessionSources(columns, landing, click_id, email_campaigns)


def _email_campaign_names(timeline: Timeline) -> tuple[str, ...]:
    months = [str(m) for m in timeline.months]
    return (*[f"newsletter-{m}" for m in months], *NURTURE_CAMPAIGNS)


def _query(pairs: list[tuple[str, str]]) -> str:
    return "?" + "&".join(f"{key}={quote_plus(value)}" for key, value in pairs)


def _paid(
    rng: np.random.Generator,
    rows: np.ndarray,
    sessions: pd.DataFrame,
    plan: MediaPlan,
    site: Site,
    pool: StringPool,
    columns: dict[str, np.ndarray],
    landing: np.ndarray,
    click_id: np.ndarray,
) -> None:
    """Paid sessions carry the UTMs of their ad and a platform click id."""
    ads = plan.ads
    ad_idx = sessions["ad_idx"].to_numpy()[rows]
    publishers = ch.META_PUBLISHERS
    publisher = rng.choice(len(publishers), len(rows), p=[p.weight for p in publishers])
    is_meta = ads["platform"].to_numpy()[ad_idx] == META
    publisher = np.where(is_meta, publisher, 0)
    table = _paid_ad_codes(plan, pool)  # (n_ads, n_publishers, column) codes
    for k, name in enumerate(_STRING_COLUMNS):
        columns[name][rows] = table[ad_idx, publisher, k]
    landing[rows] = site.campaign_landing[ads["campaign_idx"].to_numpy()[ad_idx]]
    fbclid = click_tokens(rng, len(rows), "IwAR", 44)
    gclid = click_tokens(rng, len(rows), "Cj0KCQiA", 48)
    click_id[rows] = np.where(is_meta, fbclid, gclid)


def _paid_ad_codes(plan: MediaPlan, pool: StringPool) -> np.ndarray:
    """Codes of every string column for each (ad, Meta publisher) pair."""
    ads, campaigns, groups = plan.ads, plan.campaigns, plan.groups
    table = np.full((len(ads), len(ch.META_PUBLISHERS), len(_STRING_COLUMNS)), -1, np.int32)
    for i, ad in ads.iterrows():
        campaign = campaigns.iloc[ad["campaign_idx"]]
        group = groups["name"].iat[ad["group_idx"]]
        meta = ad["platform"] == META
        for j, publisher in enumerate(ch.META_PUBLISHERS if meta else ch.SEARCH_ENGINES[:1]):
            source = publisher.source
            medium = "paid_social" if meta else "cpc"
            content = ad["name"] if meta else str(ad["platform_id"])
            utm = [
                ("utm_source", source),
                ("utm_medium", medium),
                ("utm_campaign", campaign["name"]),
                ("utm_content", content),
                ("utm_term", group),
                ("utm_id", str(campaign["platform_id"])),
            ]
            values = (
                source,
                medium,
                campaign["name"],
                content,
                group,
                str(campaign["platform_id"]),
                publisher.referrer,
                _query(utm),
            )
            table[i, j] = pool.codes(values)
    return table


def _referred(
    rng: np.random.Generator,
    rows: np.ndarray,
    channel: int,
    referrers: tuple[ch.Referrer, ...],
    pool: StringPool,
    columns: dict[str, np.ndarray],
    landing: np.ndarray,
) -> None:
    """Organic search, referral and organic social: the source comes from the referrer."""
    pick = rng.choice(len(referrers), len(rows), p=[r.weight for r in referrers])
    columns["source"][rows] = pool.codes(r.source for r in referrers)[pick]
    columns["referrer"][rows] = pool.codes(r.referrer for r in referrers)[pick]
    medium, campaign = (
        ("organic", "(organic)") if channel == ch.ORGANIC_SEARCH else ("referral", "(referral)")
    )
    columns["medium"][rows] = pool.code(medium)
    columns["campaign"][rows] = pool.code(campaign)
    pages = {
        ch.ORGANIC_SEARCH: (
            [*BLOG_PAGE_INDICES, HOME_PAGE_INDEX, _PRODUCT, _FEATURES],
            [0.09] * len(BLOG_PAGE_INDICES) + [0.30, 0.08, 0.08],
        ),
        ch.REFERRAL: ([HOME_PAGE_INDEX, _INTEGRATIONS, _CUSTOMERS], [0.5, 0.3, 0.2]),
        ch.ORGANIC_SOCIAL: (
            [*BLOG_PAGE_INDICES, HOME_PAGE_INDEX],
            [0.1] * len(BLOG_PAGE_INDICES) + [0.4],
        ),
    }[channel]
    landing[rows] = _choose(rng, pages, len(rows))


def _direct(
    rng: np.random.Generator,
    rows: np.ndarray,
    pool: StringPool,
    columns: dict[str, np.ndarray],
    landing: np.ndarray,
) -> None:
    columns["source"][rows] = pool.code(ch.DIRECT_SOURCE)
    columns["medium"][rows] = pool.code(ch.DIRECT_MEDIUM)
    columns["campaign"][rows] = pool.code(ch.DIRECT_CAMPAIGN)
    pages = ([HOME_PAGE_INDEX, _PRODUCT, _FEATURES, _CUSTOMERS], [0.7, 0.12, 0.1, 0.08])
    landing[rows] = _choose(rng, pages, len(rows))


def _email(
    rng: np.random.Generator,
    rows: np.ndarray,
    day: np.ndarray,
    timeline: Timeline,
    campaigns: tuple[str, ...],
    pool: StringPool,
    columns: dict[str, np.ndarray],
    landing: np.ndarray,
) -> None:
    """Email visits: this month's newsletter or an evergreen nurture mail, with UTMs."""
    n_months = len(timeline.months)
    campaign_idx = np.where(
        rng.random(len(rows)) < 0.7,
        timeline.month_index(day),
        n_months + rng.integers(0, len(NURTURE_CAMPAIGNS), len(rows)),
    )
    content_idx = rng.integers(0, len(_EMAIL_CONTENT), len(rows))
    combos = [(c, k) for c in range(len(campaigns)) for k in range(len(_EMAIL_CONTENT))]
    query = pool.codes(
        _query(
            [
                ("utm_source", "newsletter"),
                ("utm_medium", "email"),
                ("utm_campaign", campaigns[c]),
                ("utm_content", _EMAIL_CONTENT[k]),
            ]
        )
        for c, k in combos
    )
    columns["source"][rows] = pool.code("newsletter")
    columns["medium"][rows] = pool.code("email")
    columns["campaign"][rows] = pool.codes(campaigns)[campaign_idx]
    columns["content"][rows] = pool.codes(_EMAIL_CONTENT)[content_idx]
    columns["query"][rows] = query[campaign_idx * len(_EMAIL_CONTENT) + content_idx]
    pages = (
        [*BLOG_PAGE_INDICES, _WEBINARS, HOME_PAGE_INDEX],
        [0.5 / len(BLOG_PAGE_INDICES)] * len(BLOG_PAGE_INDICES) + [0.2, 0.3],
    )
    landing[rows] = _choose(rng, pages, len(rows))


def _choose(rng: np.random.Generator, pages: tuple[list[int], list[float]], n: int) -> np.ndarray:
    codes, weights = pages
    weights_arr = np.asarray(weights) / np.sum(weights)
    return np.asarray(codes)[rng.choice(len(codes), n, p=weights_arr)]
