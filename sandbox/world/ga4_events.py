"""The flat GA4 event table `ga4_events`: every session expanded into pages and events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.world import experiments as ex
from sandbox.world.channels import PAID_SEARCH, PAID_SOCIAL
from sandbox.world.config import WorldConfig
from sandbox.world.lead_model import FORMS
from sandbox.world.ltv import ITEM_ID, ITEM_NAME
from sandbox.world.rng import stream
from sandbox.world.site import CHECKOUT, DEMO, PRICING, SIGNUP
from sandbox.world.stats import group_cumsum, group_starts
from sandbox.world.strings import dictionary_array
from sandbox.world.timeline import MICROS_PER_DAY, MICROS_PER_SECOND
from sandbox.world.vocab import CITY_NAMES, COUNTRIES, DEVICES, city_index
from sandbox.world.web import Web

EVENT_NAMES = (
    "first_visit",
    "session_start",
    "page_view",
    ex.EXPOSURE_EVENT,
    "scroll",
    "generate_lead",
    "sign_up",
    "begin_trial",
    "purchase",
    "user_engagement",
)
(
    FIRST_VISIT,
    SESSION_START,
    PAGE_VIEW,
    EXPOSURE,
    SCROLL,
    GENERATE_LEAD,
    SIGN_UP,
    BEGIN_TRIAL,
    PURCHASE,
    USER_ENGAGEMENT,
) = range(len(EVENT_NAMES))
# Value the website tag sends with each form (the marketing team's lead valuation).
LEAD_VALUE = {
    "demo_request": 100.0,
    "contact_sales": 80.0,
    "content_download": 10.0,
    "webinar_registration": 20.0,
}
_MAX_SESSION_SECONDS = 1_500.0
_MIN_DWELL_SECONDS = 6.0
_ENGAGED_SECONDS = 10.0

_TEXT = pa.dictionary(pa.int32(), pa.string())
GA4_EVENTS_SCHEMA = pa.schema(
    [
        ("event_date", pa.date32()),
        ("event_timestamp", pa.int64()),
        ("event_name", _TEXT),
        ("user_pseudo_id", _TEXT),
        ("user_id", _TEXT),
        ("ga_session_id", pa.int64()),
        ("ga_session_number", pa.int64()),
        ("session_engaged", pa.bool_()),
        ("page_location", _TEXT),
        ("page_referrer", _TEXT),
        ("page_title", _TEXT),
        ("session_source", _TEXT),
        ("session_medium", _TEXT),
        ("session_campaign", _TEXT),
        ("session_content", _TEXT),
        ("session_term", _TEXT),
        ("gclid", _TEXT),
        ("device_category", _TEXT),
        ("operating_system", _TEXT),
        ("browser", _TEXT),
        ("country", _TEXT),
        ("city", _TEXT),
        ("engagement_time_msec", pa.int64()),
        ("event_value", pa.float64()),
        ("currency", _TEXT),
        ("transaction_id", pa.string()),
        ("item_id", _TEXT),
        ("item_name", _TEXT),
        ("item_price", pa.float64()),
        ("item_quantity", pa.int64()),
        ("experiment_id", _TEXT),
        ("variant_id", _TEXT),
        ("form_id", _TEXT),
        ("form_name", _TEXT),
    ]
)


@dataclass(frozen=True)
class _Pages:
    session: np.ndarray
    rank: np.ndarray
    code: np.ndarray
    offset: np.ndarray  # seconds after session start
    dwell: np.ndarray


@dataclass(frozen=True)
class _Events:
    session: np.ndarray
    page: np.ndarray  # row in _Pages
    name: np.ndarray
    offset: np.ndarray  # seconds after session start
    engagement: np.ndarray  # seconds, NaN when the event reports none
    experiment: np.ndarray  # index into EXPERIMENTS for exposures, -1 otherwise


class _Block(NamedTuple):
    """Events of one name fired on a set of pages."""

    pages: np.ndarray
    name: int
    at: float  # position within the page's dwell time (0 = page load, 1 = leaving)
    engagement: np.ndarray | float  # per page row (seconds) or a share of the dwell time
    experiment: np.ndarray | int = -1
    delay: float = 0.0  # seconds after `at`


def build_ga4_events(config: WorldConfig, web: Web) -> pa.Table:
    """Expand sessions into the flat event table, ordered by timestamp."""
    rng = stream(config, "ga4_events")
    sessions = web.sessions
    pages = _pages(rng, sessions)
    events = _events(rng, sessions, pages)
    timestamp = sessions["start_us"].to_numpy()[events.session] + np.round(
        events.offset * MICROS_PER_SECOND
    ).astype(np.int64)
    user = sessions["user"].to_numpy()[events.session]
    order = np.lexsort((events.name, user, timestamp))
    events = _Events(*(getattr(events, f)[order] for f in _Events.__dataclass_fields__))
    timestamp = timestamp[order]
    columns = {
        "event_date": pa.array((timestamp // MICROS_PER_DAY).astype(np.int32), pa.date32()),
        "event_timestamp": pa.array(timestamp),
        "event_name": dictionary_array(events.name, pa.array(EVENT_NAMES)),
        **_identity_columns(web, events, timestamp),
        **_page_columns(config, web, pages, events),
        **_source_columns(web, events),
        **_device_columns(web, events),
        **_value_columns(config, web, events),
    }
    return pa.table(columns, schema=GA4_EVENTS_SCHEMA)


def _pages(rng: np.random.Generator, sessions: pd.DataFrame) -> _Pages:
    """Page sequence of each session: landing, browsing, then funnel pages in order."""
    n_pages = sessions["n_pages"].to_numpy()
    parts = [
        (np.repeat(np.arange(len(sessions)), n_pages), _ranks(n_pages).astype(np.float64)),
        (np.flatnonzero(sessions["pricing"]), sessions["pricing_position"].to_numpy() - 0.5),
        (np.flatnonzero(sessions["signup_view"]), n_pages + 0.1),
        (np.flatnonzero(sessions["lead"]), n_pages + 0.2),
        (np.flatnonzero(sessions["purchase_value"].notna()), n_pages + 0.3),
    ]
    special = (-1, PRICING, SIGNUP, DEMO, CHECKOUT)
    session = np.concatenate([rows for rows, _ in parts])
    key = np.concatenate([keys if k == 0 else keys[rows] for k, (rows, keys) in enumerate(parts)])
    code = np.concatenate(
        [np.full(len(rows), c) for (rows, _), c in zip(parts, special, strict=True)]
    )
    order = np.lexsort((key, session))
    session, code = session[order], code[order]
    rank = _ranks(np.bincount(session, minlength=len(sessions)))
    browsing = code < 0
    landing = sessions["landing_page"].to_numpy()[session]
    general = rng.integers(0, PRICING, len(session))  # random general page while browsing
    code = np.where(browsing, np.where(rank == 0, landing, general), code)
    dwell = np.maximum(rng.lognormal(np.log(35.0), 0.9, len(session)), _MIN_DWELL_SECONDS)
    total = np.bincount(session, weights=dwell, minlength=len(sessions))[session]
    dwell = dwell * np.minimum(1.0, _MAX_SESSION_SECONDS / total)
    dwell = np.maximum(dwell, _MIN_DWELL_SECONDS)
    offset = group_cumsum(dwell, session, exclusive=True)
    return _Pages(session, rank, code, offset, dwell)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, count-1 for each group, concatenated."""
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(starts, counts)


def _events(rng: np.random.Generator, sessions: pd.DataFrame, pages: _Pages) -> _Events:
    n_pages = len(pages.session)
    rows = np.arange(n_pages)
    first_page = group_starts(pages.session)
    last_page = np.r_[first_page[1:] - 1, n_pages - 1]
    prev_dwell = np.where(pages.rank > 0, np.r_[np.nan, pages.dwell[:-1]], np.nan)
    new_user = (sessions["session_number"].to_numpy() == 1) & sessions["is_new"].to_numpy()
    scroll = (rng.random(n_pages) < 0.45) & (pages.dwell > 8.0)
    on_signup = pages.code == SIGNUP
    signed = sessions["sign_up"].to_numpy()[pages.session]
    trial = sessions["begin_trial"].to_numpy()[pages.session]
    exposure_pages, exposure_experiment = _exposure_pages(sessions, pages)
    blocks = [
        _Block(first_page[new_user[pages.session[first_page]]], FIRST_VISIT, 0.0, np.nan),
        _Block(first_page, SESSION_START, 0.0, np.nan),
        _Block(rows, PAGE_VIEW, 0.0, prev_dwell),
        _Block(exposure_pages, EXPOSURE, 0.0, np.nan, exposure_experiment, delay=0.5),
        _Block(rows[scroll], SCROLL, 0.6, 0.6),
        _Block(rows[pages.code == DEMO], GENERATE_LEAD, 0.8, 0.8),
        _Block(rows[on_signup & signed], SIGN_UP, 0.8, 0.8),
        _Block(rows[on_signup & trial], BEGIN_TRIAL, 0.8, np.nan, delay=1.0),
        _Block(rows[pages.code == CHECKOUT], PURCHASE, 0.7, 0.7),
        _Block(last_page[pages.dwell[last_page] > _ENGAGED_SECONDS], USER_ENGAGEMENT, 1.0, 1.0),
    ]
    page = np.concatenate([b.pages for b in blocks])
    dwell = pages.dwell[page]
    at = np.concatenate([np.full(len(b.pages), b.at) for b in blocks])
    delay = np.concatenate([np.full(len(b.pages), b.delay) for b in blocks])
    return _Events(
        session=pages.session[page],
        page=page,
        name=np.concatenate([np.full(len(b.pages), b.name) for b in blocks]),
        offset=pages.offset[page] + at * dwell + delay,
        engagement=np.concatenate([_engagement(b, pages.dwell) for b in blocks]),
        experiment=np.concatenate([np.broadcast_to(b.experiment, len(b.pages)) for b in blocks]),
    )


def _engagement(block: _Block, dwell: np.ndarray) -> np.ndarray:
    if isinstance(block.engagement, np.ndarray):
        return block.engagement[block.pages]
    return block.engagement * dwell[block.pages]


def _exposure_pages(sessions: pd.DataFrame, pages: _Pages) -> tuple[np.ndarray, np.ndarray]:
    """Page rows where a logged experiment exposure fires, and the experiment's index."""
    triggers = {
        ex.PRICING: pages.code == PRICING,
        ex.SIGNUP: pages.code == SIGNUP,
        ex.HOME: pages.rank == 0,
    }
    found, experiment_idx = [], []
    for k, experiment in enumerate(ex.EXPERIMENTS):
        logged = sessions[f"{experiment.experiment_id}_logged"].to_numpy()[pages.session]
        rows = np.flatnonzero(triggers[experiment.trigger] & logged)
        found.append(rows)
        experiment_idx.append(np.full(len(rows), k))
    return np.concatenate(found), np.concatenate(experiment_idx)


def _identity_columns(web: Web, events: _Events, timestamp: np.ndarray) -> dict[str, pa.Array]:
    sessions, users = web.sessions, web.users
    user = sessions["user"].to_numpy()[events.session]
    identified = np.isin(events.name, (GENERATE_LEAD, SIGN_UP))
    id_since = np.full(len(users), np.iinfo(np.int64).max)
    np.minimum.at(id_since, user[identified], timestamp[identified])
    has_id = timestamp >= id_since[user]
    return {
        "user_pseudo_id": dictionary_array(user, pa.array(users["pseudo_id"].to_numpy())),
        "user_id": dictionary_array(
            np.where(has_id, user, -1), pa.array(users["app_user_id"].to_numpy())
        ),
        "ga_session_id": pa.array(
            sessions["start_us"].to_numpy()[events.session] // MICROS_PER_SECOND
        ),
        "ga_session_number": pa.array(sessions["session_number"].to_numpy()[events.session]),
        "session_engaged": pa.array(_engaged_sessions(sessions, events)[events.session]),
    }


def _engaged_sessions(sessions: pd.DataFrame, events: _Events) -> np.ndarray:
    """GA4 rule: ≥ 10 s engagement, ≥ 2 page views or a key event."""
    n = len(sessions)
    engaged = np.bincount(events.session, np.nan_to_num(events.engagement), n) > _ENGAGED_SECONDS
    views = np.bincount(events.session[events.name == PAGE_VIEW], minlength=n) >= 2
    key_event = np.isin(events.name, (GENERATE_LEAD, SIGN_UP, PURCHASE))
    return engaged | views | (np.bincount(events.session[key_event], minlength=n) > 0)


def page_urls(config: WorldConfig, web: Web) -> pa.Array:
    """Absolute URL of every page code (no query string)."""
    return pa.array(np.char.add(f"https://{config.site_host}", web.site.paths))


def _page_columns(
    config: WorldConfig, web: Web, pages: _Pages, events: _Events
) -> dict[str, pa.Array]:
    """page_location / page_referrer codes index [landing URL per session, page URLs, pool]."""
    n_sessions, n_pages = len(web.sessions), len(web.site.paths)
    vocabulary = pa.concat_arrays(
        [landing_urls(config, web), page_urls(config, web), web.pool.vocabulary()]
    )
    page, session = events.page, events.session
    rank, code = pages.rank[page], pages.code[page]
    previous_code = pages.code[np.maximum(page - 1, 0)]
    location = np.where(rank == 0, session, n_sessions + code)
    external = web.sessions["referrer"].to_numpy()[session]
    referrer = np.select(
        [rank == 0, rank == 1],
        [np.where(external >= 0, n_sessions + n_pages + external, -1), session],
        n_sessions + previous_code,
    )
    return {
        "page_location": dictionary_array(location, vocabulary),
        "page_referrer": dictionary_array(referrer, vocabulary),
        "page_title": dictionary_array(code, pa.array(web.site.titles)),
    }


def landing_urls(config: WorldConfig, web: Web) -> pa.Array:
    """Full landing URL of every session, with UTMs and the click id where traffic has them."""
    sessions = web.sessions
    landing = pc.take(page_urls(config, web), pa.array(sessions["landing_page"].to_numpy()))
    query = pc.fill_null(web.pool.to_arrow(sessions["query"].to_numpy()), "")
    channel = sessions["channel"].to_numpy()
    param = np.select([channel == PAID_SOCIAL, channel == PAID_SEARCH], ["&fbclid=", "&gclid="], "")
    click = pc.fill_null(pa.array(sessions["click_id"], pa.string(), from_pandas=True), "")
    return pc.binary_join_element_wise(landing, query, pa.array(param), click, "")


def _source_columns(web: Web, events: _Events) -> dict[str, pa.Array]:
    sessions, session = web.sessions, events.session
    vocabulary = web.pool.vocabulary()
    columns = {
        f"session_{name}": dictionary_array(sessions[name].to_numpy()[session], vocabulary)
        for name in ("source", "medium", "campaign", "content", "term")
    }
    paid_search = sessions["channel"].to_numpy()[session] == PAID_SEARCH
    clicks = pa.array(sessions["click_id"], pa.string(), from_pandas=True)
    columns["gclid"] = dictionary_array(np.where(paid_search, session, -1), clicks)
    return columns


def _device_columns(web: Web, events: _Events) -> dict[str, pa.Array]:
    users = web.users
    user = web.sessions["user"].to_numpy()[events.session]
    device = users["device"].to_numpy()[user]
    country = users["country"].to_numpy()[user]
    city = city_index(country, users["city"].to_numpy()[user])
    return {
        "device_category": dictionary_array(device, pa.array([d.category for d in DEVICES])),
        "operating_system": dictionary_array(
            device, pa.array([d.operating_system for d in DEVICES])
        ),
        "browser": dictionary_array(device, pa.array([d.browser for d in DEVICES])),
        "country": dictionary_array(country, pa.array([c.name for c in COUNTRIES])),
        "city": dictionary_array(city, pa.array(CITY_NAMES)),
    }


def _value_columns(config: WorldConfig, web: Web, events: _Events) -> dict[str, pa.Array]:
    sessions = web.sessions
    name, session = events.name, events.session
    lead, purchase = name == GENERATE_LEAD, name == PURCHASE
    form = np.where(lead, sessions["form"].to_numpy()[session], -1)
    lead_value = np.array([LEAD_VALUE[f.form_id] for f in FORMS])[np.maximum(form, 0)]
    value = np.where(lead, lead_value, sessions["purchase_value"].to_numpy()[session])
    has_value = lead | purchase
    engagement = np.round(events.engagement * 1000)
    only_purchase = np.where(purchase, 0, -1)
    return {
        "engagement_time_msec": pa.array(
            np.nan_to_num(engagement).astype(np.int64), mask=np.isnan(engagement)
        ),
        "event_value": pa.array(value, mask=~has_value),
        "currency": dictionary_array(np.where(has_value, 0, -1), pa.array([config.currency])),
        "transaction_id": _transaction_ids(purchase),
        "item_id": dictionary_array(only_purchase, pa.array([ITEM_ID])),
        "item_name": dictionary_array(only_purchase, pa.array([ITEM_NAME])),
        "item_price": pa.array(value, mask=~purchase),
        "item_quantity": pa.array(np.ones(len(name), np.int64), mask=~purchase),
        **_experiment_columns(sessions, events),
        "form_id": dictionary_array(form, pa.array([f.form_id for f in FORMS])),
        "form_name": dictionary_array(form, pa.array([f.form_name for f in FORMS])),
    }


def _transaction_ids(purchase: np.ndarray) -> pa.Array:
    """Sequential transaction ids (TX-00000001, …) in event order; null for other events."""
    numbers = np.arange(1, purchase.sum() + 1).astype(str)
    ids = np.full(len(purchase), None, dtype=object)
    ids[purchase] = np.char.add("TX-", np.char.zfill(numbers, 8))
    return pa.array(ids, pa.string())


def _experiment_columns(sessions: pd.DataFrame, events: _Events) -> dict[str, pa.Array]:
    """Experiment and variant of each exposure event (codes index a flat variant list)."""
    experiment_code = np.where(events.name == EXPOSURE, events.experiment, -1)
    offsets = np.cumsum([0] + [len(e.variants) for e in ex.EXPERIMENTS])
    variant_code = np.full(len(events.name), -1)
    for k, experiment in enumerate(ex.EXPERIMENTS):
        mine = experiment_code == k
        variant = sessions[experiment.experiment_id].to_numpy()[events.session[mine]]
        variant_code[mine] = offsets[k] + variant
    variants = [v for e in ex.EXPERIMENTS for v in e.variants]
    return {
        "experiment_id": dictionary_array(
            experiment_code, pa.array([e.experiment_id for e in ex.EXPERIMENTS])
        ),
        "variant_id": dictionary_array(variant_code, pa.array(variants)),
    }
