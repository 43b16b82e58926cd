"""The website: page paths and titles, including one landing page per paid campaign."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.world.media_plan import GOOGLE, GOOGLE_TEMPLATES, slug
from sandbox.world.vocab import (
    BILLING_PAGE,
    CHECKOUT_PAGE,
    COMPANY_BRAND,
    DEMO_PAGE,
    GENERAL_PAGES,
    PRICING_PAGE,
    SIGNUP_PAGE,
)

N_GENERAL = len(GENERAL_PAGES)
PRICING, DEMO, SIGNUP, BILLING, CHECKOUT = range(N_GENERAL, N_GENERAL + 5)


@dataclass(frozen=True)
class Site:
    """All pages; page codes index `paths` and `titles`."""

    paths: np.ndarray
    titles: np.ndarray
    campaign_landing: np.ndarray  # page code of each campaign's landing page


def build_site(campaigns: pd.DataFrame) -> Site:
    """General pages, funnel pages, then one /lp/ page per campaign (brand search lands on /)."""
    pages = [*GENERAL_PAGES, PRICING_PAGE, DEMO_PAGE, SIGNUP_PAGE, BILLING_PAGE, CHECKOUT_PAGE]
    paths = [p.path for p in pages]
    titles = [p.title for p in pages]
    landing = []
    for platform, name in zip(campaigns["platform"], campaigns["name"], strict=True):
        if platform == GOOGLE and name == GOOGLE_TEMPLATES[0].name:
            landing.append(0)
            continue
        theme = name.split("|")[-1].strip()
        landing.append(len(paths))
        paths.append(f"/lp/{slug(theme)}")
        titles.append(theme)
    return Site(
        paths=np.array(paths),
        titles=np.array([f"{t} | {COMPANY_BRAND}" for t in titles]),
        campaign_landing=np.array(landing),
    )
