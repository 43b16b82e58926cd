"""The website simulation end to end: traffic, sources, behaviour, purchases and session times."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.world.behaviour import idle_behaviour, simulate_behaviour
from sandbox.world.config import WorldConfig
from sandbox.world.delivery import Delivery
from sandbox.world.ids import hex_tokens
from sandbox.world.ltv import Purchases, simulate_purchases
from sandbox.world.media_plan import MediaPlan
from sandbox.world.rng import stream
from sandbox.world.site import BILLING, Site, build_site
from sandbox.world.sources import SessionSources, attach_sources
from sandbox.world.strings import StringPool
from sandbox.world.timeline import MICROS_PER_SECOND, Timeline
from sandbox.world.traffic import assign_start_times, simulate_traffic, sort_sessions

_SOURCE_COLUMNS = ("source", "medium", "campaign", "content", "term", "utm_id", "referrer", "query")


@dataclass(frozen=True)
class Web:
    """Users, their sessions (sorted by user and time) and what GA4 needs to render them."""

    users: pd.DataFrame
    sessions: pd.DataFrame
    purchases: Purchases
    site: Site
    pool: StringPool
    email_campaigns: tuple[str, ...]


def simulate_web(
    config: WorldConfig, timeline: Timeline, plan: MediaPlan, delivery: Delivery
) -> Web:
    """Simulate every visit to the website during the world's period."""
    traffic = simulate_traffic(config, timeline, plan, delivery)
    users, sessions = traffic.users, traffic.sessions
    site, pool = build_site(plan.campaigns), StringPool()
    sources = attach_sources(stream(config, "sources"), sessions, plan, site, timeline, pool)
    behaviour = simulate_behaviour(
        stream(config, "behaviour"), sessions, users, sources.landing_page, timeline.n_days
    )
    sessions = _with_sources(sessions.join(behaviour), sources).assign(purchase_value=np.nan)
    trials = sessions.loc[sessions["begin_trial"]]
    purchases = simulate_purchases(
        stream(config, "purchases"),
        trials["user"].to_numpy(),
        trials["day"].to_numpy(),
        timeline.n_days,
    )
    extra = _purchase_sessions(config, purchases, plan, site, timeline, pool)
    sessions = sort_sessions(pd.concat([sessions, extra], ignore_index=True))
    sessions["start_us"] = assign_start_times(stream(config, "session_times"), sessions, timeline)
    _name_users(config, users, sessions)
    return Web(users, sessions, purchases, site, pool, sources.email_campaigns)


def _with_sources(sessions: pd.DataFrame, sources: SessionSources) -> pd.DataFrame:
    sessions = sessions.assign(**{name: sources.columns[name] for name in _SOURCE_COLUMNS})
    return sessions.assign(landing_page=sources.landing_page, click_id=sources.click_id)


def _purchase_sessions(
    config: WorldConfig,
    purchases: Purchases,
    plan: MediaPlan,
    site: Site,
    timeline: Timeline,
    pool: StringPool,
) -> pd.DataFrame:
    """One returning session per purchase: billing page, checkout, purchase."""
    rng = stream(config, "purchase_sessions")
    bought = purchases.purchases
    sessions = pd.DataFrame(
        {
            "channel": bought["channel"].to_numpy(),
            "day": np.floor(bought["time"].to_numpy()).astype(np.int64),
            "ad_idx": -1,
            "user": bought["user"].to_numpy(),
            "is_new": False,
            "order_key": rng.random(len(bought)),
            "purchase_value": bought["value"].to_numpy(),
        }
    )
    sources = attach_sources(rng, sessions, plan, site, timeline, pool)
    sessions = sessions.join(idle_behaviour(len(sessions)))
    return _with_sources(sessions, sources).assign(landing_page=BILLING)


def _name_users(config: WorldConfig, users: pd.DataFrame, sessions: pd.DataFrame) -> None:
    """GA4 client ids ("<random>.<first visit epoch s>") and app user ids."""
    rng = stream(config, "user_ids")
    first = sessions.loc[sessions["session_number"] == 1]
    first_seconds = np.zeros(len(users), dtype=np.int64)
    first_seconds[first["user"].to_numpy()] = first["start_us"].to_numpy() // MICROS_PER_SECOND
    random_part = rng.integers(100_000_000, 2_147_483_647, len(users))
    users["pseudo_id"] = np.char.add(
        np.char.add(random_part.astype(str), "."), first_seconds.astype(str)
    )
    users["first_visit_us"] = 0
    users.loc[first["user"].to_numpy(), "first_visit_us"] = first["start_us"].to_numpy()
    users["app_user_id"] = hex_tokens(rng, len(users), 16)
