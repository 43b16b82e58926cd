"""Session-level context of the GA4 export: entries, batches, first-user and last-click sources."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.world import ga4_schema as gs
from sandbox.world.channels import DIRECT_SOURCE, SOCIAL_SITES
from sandbox.world.rng import stable_uniform
from sandbox.world.stats import group_cumsum, group_starts

if TYPE_CHECKING:
    from sandbox.world.world import World

LAST_CLICK_LOOKBACK_SECONDS = 90 * 86_400
GOOGLE_ADS_ACCOUNT_NAME = "MDP Demo - Search"
_SOCIAL = {s.source for s in SOCIAL_SITES}
_SESSION_FIELDS = (
    "session_source",
    "session_medium",
    "session_campaign",
    "session_content",
    "session_term",
    "gclid",
)


@dataclass(frozen=True)
class SessionIndex:
    """Per-row context derived from the whole flat table (so a partial export never differs)."""

    session: np.ndarray
    entry: np.ndarray  # session_start, first_visit and the landing page_view
    landing: np.ndarray  # the first page_view of a session
    non_direct: np.ndarray  # per row: the session has a (non-direct) traffic source
    utm_id: pa.Array  # per session: utm_id of the landing URL (null when untagged)
    first_session_row: np.ndarray  # per row: first row of the user's first session
    last_click_row: np.ndarray  # per row: first row of the session credited by last click
    first_touch: np.ndarray
    ltv: np.ndarray
    active: np.ndarray
    ads_consent: np.ndarray
    bundle: np.ndarray
    server_offset: np.ndarray
    batch_event: np.ndarray
    batch_page: np.ndarray
    batch_order: np.ndarray
    google_ids: dict[tuple[str, str | None], tuple[str, str, str | None]]

    def first_user_source(self, events: pa.Table, rows: np.ndarray) -> pa.StructArray:
        """traffic_source: how the user was first acquired."""
        src = pa.array(self.first_session_row[rows])
        return gs.struct_array(
            gs.TRAFFIC_SOURCE,
            len(rows),
            {
                "name": _take(events, "session_campaign", src),
                "medium": _take(events, "session_medium", src),
                "source": _take(events, "session_source", src),
            },
        )

    def collected(self, events: pa.Table, rows: np.ndarray) -> pa.StructArray:
        """collected_traffic_source: UTMs and click ids, on the events that carried them."""
        take = pa.array(rows)
        utm_id = pc.take(self.utm_id, pa.array(self.session[rows]))
        tagged = self.entry[rows] & (
            pc.is_valid(utm_id).to_numpy(zero_copy_only=False)
            | pc.is_valid(pc.take(events["gclid"], take)).to_numpy(zero_copy_only=False)
        )
        return gs.struct_array(
            gs.COLLECTED_TRAFFIC_SOURCE,
            len(rows),
            {
                "manual_campaign_id": utm_id,
                "manual_campaign_name": _take(events, "session_campaign", take),
                "manual_source": _take(events, "session_source", take),
                "manual_medium": _take(events, "session_medium", take),
                "manual_term": _take(events, "session_term", take),
                "manual_content": _take(events, "session_content", take),
                "gclid": _take(events, "gclid", take),
            },
            mask=pa.array(~tagged),
        )

    def last_click(self, events: pa.Table, rows: np.ndarray) -> pa.StructArray:
        """session_traffic_source_last_click: last non-direct click within 90 days."""
        src_rows = np.where(self.last_click_row[rows] >= 0, self.last_click_row[rows], rows)
        src = pa.array(src_rows)
        values = {name: _take(events, name, src) for name in _SESSION_FIELDS}
        utm_id = pc.take(self.utm_id, pa.array(self.session[src_rows]))
        tagged = pc.is_valid(utm_id)
        n = len(rows)
        manual = gs.struct_array(
            gs.MANUAL_CAMPAIGN,
            n,
            {
                "campaign_id": utm_id,
                "campaign_name": values["session_campaign"],
                "source": values["session_source"],
                "medium": values["session_medium"],
                "term": values["session_term"],
                "content": values["session_content"],
                "source_platform": pc.if_else(tagged, "Manual", None),
            },
        )
        return gs.struct_array(
            gs.SESSION_TRAFFIC_SOURCE_LAST_CLICK,
            n,
            {
                "manual_campaign": manual,
                "google_ads_campaign": self._google_ads(values),
                "cross_channel_campaign": self._cross_channel(values, utm_id),
            },
        )

    def _google_ads(self, values: dict[str, pa.Array]) -> pa.StructArray:
        """Google Ads campaign of auto-tagged (gclid) clicks; null for everything else."""
        keys = zip(
            values["session_campaign"].to_pylist(),
            values["session_term"].to_pylist(),
            values["gclid"].to_pylist(),
            strict=True,
        )
        found = [self.google_ids.get((c, t)) if g else None for c, t, g in keys]
        ids = {i: pa.array([f[i] if f else None for f in found], pa.string()) for i in range(3)}
        n = len(found)
        return gs.struct_array(
            gs.GOOGLE_ADS_CAMPAIGN,
            n,
            {
                "customer_id": ids[0],
                "account_name": pa.array([GOOGLE_ADS_ACCOUNT_NAME] * n),
                "campaign_id": ids[1],
                "campaign_name": values["session_campaign"],
                "ad_group_id": ids[2],
                "ad_group_name": values["session_term"],
            },
            mask=pa.array([f is None for f in found]),
        )

    def _cross_channel(self, values: dict[str, pa.Array], utm_id: pa.Array) -> pa.StructArray:
        source = values["session_source"].to_pylist()
        medium = values["session_medium"].to_pylist()
        group = pa.array([channel_group(s, m) for s, m in zip(source, medium, strict=True)])
        paid_search = pc.equal(group, "Paid Search")
        platform = pc.if_else(
            paid_search, "Google Ads", pc.if_else(pc.is_valid(utm_id), "Manual", "(not set)")
        )
        return gs.struct_array(
            gs.CROSS_CHANNEL_CAMPAIGN,
            len(source),
            {
                "campaign_id": utm_id,
                "campaign_name": values["session_campaign"],
                "source": values["session_source"],
                "medium": values["session_medium"],
                "source_platform": platform,
                "default_channel_group": group,
                "primary_channel_group": group,
            },
        )


def channel_group(source: str | None, medium: str | None) -> str:
    """GA4 default channel group of a session source / medium."""
    if medium == "paid_social":
        return "Paid Social"
    if medium == "cpc":
        return "Paid Search"
    if medium == "organic":
        return "Organic Search"
    if medium == "email":
        return "Email"
    if medium == "referral":
        return "Organic Social" if source in _SOCIAL else "Referral"
    return "Direct" if source == DIRECT_SOURCE else "Unassigned"


def _take(events: pa.Table, name: str, rows: pa.Array) -> pa.Array:
    return pc.take(events[name], rows).combine_chunks().cast(pa.string())


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    array = column.combine_chunks()
    return array.indices.to_numpy(zero_copy_only=False), array.dictionary.to_pylist()


def index_sessions(world: World, events: pa.Table) -> SessionIndex:
    """Derive every cross-event field of the export from the full flat table."""
    user, pseudo = _codes(events["user_pseudo_id"])
    session_id = events["ga_session_id"].to_numpy()
    key = (user.astype(np.int64) << 32) | session_id
    _, first_row, session = np.unique(key, return_index=True, return_inverse=True)
    names, vocabulary = _codes(events["event_name"])
    name = np.array(vocabulary, dtype=object)[names]
    page_view = np.flatnonzero(name == "page_view")
    _, first_view = np.unique(session[page_view], return_index=True)
    landing = np.zeros(len(name), dtype=bool)
    landing[page_view[first_view]] = True
    entry = landing | np.isin(name, ("session_start", "first_visit"))
    source_codes, sources = _codes(events["session_source"])
    non_direct = np.array([s != DIRECT_SOURCE for s in sources])[source_codes]
    timestamp = events["event_timestamp"].to_numpy()
    batches = _batches(session, name == "page_view", timestamp)
    user_hash = np.array([zlib.crc32(p.encode()) for p in pseudo], np.uint64)[user]
    return SessionIndex(
        session=session,
        entry=entry,
        landing=landing,
        non_direct=non_direct,
        utm_id=_utm_ids(events, landing, session, len(first_row)),
        first_session_row=_first_session_rows(user, first_row, session),
        last_click_row=_last_click_rows(user, session_id, non_direct, first_row, session),
        first_touch=_first_touch(user, name, timestamp),
        ltv=_lifetime_value(user, name, events["event_value"].to_numpy(zero_copy_only=False)),
        active=events["session_engaged"].to_numpy() | (name == "first_visit"),
        ads_consent=stable_uniform(user_hash, 11) < 0.85,
        bundle=session.astype(np.int64) * 1_000 + batches[2],
        server_offset=(
            stable_uniform(key.astype(np.uint64) ^ batches[0].astype(np.uint64), 5) * 4_000 + 200
        ).astype(np.int64),
        batch_event=batches[0],
        batch_page=batches[1],
        batch_order=batches[2],
        google_ids=_google_ids(world),
    )


def _utm_ids(events: pa.Table, landing: np.ndarray, session: np.ndarray, n: int) -> pa.Array:
    location = events["page_location"].combine_chunks()
    found = pc.extract_regex(location.dictionary, r"[?&]utm_id=(?P<id>[^&]+)")
    ids = pc.take(pc.struct_field(found, "id"), location.indices)
    per_session = np.full(n, -1)
    rows = np.flatnonzero(landing)
    per_session[session[rows]] = rows
    return pc.take(ids, pa.array(per_session, mask=per_session < 0))


def _first_session_rows(user: np.ndarray, first_row: np.ndarray, session: np.ndarray) -> np.ndarray:
    session_user = user[first_row]
    starts = group_starts(session_user)
    first_of_user = np.full(user.max() + 1 if len(user) else 0, -1)
    first_of_user[session_user[starts]] = first_row[starts]
    return first_of_user[user]


def _last_click_rows(
    user: np.ndarray,
    session_id: np.ndarray,
    non_direct: np.ndarray,
    first_row: np.ndarray,
    session: np.ndarray,
) -> np.ndarray:
    """First row of the latest non-direct session of the user within the lookback (-1: none)."""
    session_user = user[first_row]
    flagged = np.where(non_direct[first_row], np.arange(len(first_row)), -1)
    latest = np.maximum.accumulate(flagged) if len(flagged) else flagged
    starts = group_starts(session_user)
    user_first = np.repeat(starts, np.diff(np.r_[starts, len(session_user)]))
    start_seconds = session_id[first_row]
    ok = (latest >= user_first) & (
        start_seconds - start_seconds[np.maximum(latest, 0)] <= LAST_CLICK_LOOKBACK_SECONDS
    )
    credited = np.where(ok, first_row[np.maximum(latest, 0)], -1)
    return credited[session]


def _first_touch(user: np.ndarray, name: np.ndarray, timestamp: np.ndarray) -> np.ndarray:
    first = np.full(user.max() + 1 if len(user) else 0, np.iinfo(np.int64).max)
    np.minimum.at(first, user, timestamp)
    visits = name == "first_visit"
    np.minimum.at(first, user[visits], timestamp[visits])
    return first[user]


def _lifetime_value(user: np.ndarray, name: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Purchase revenue of the user up to and including each event."""
    revenue = np.where(name == "purchase", np.nan_to_num(value), 0.0)
    order = np.argsort(user, kind="stable")
    running = np.empty(len(user))
    running[order] = np.round(group_cumsum(revenue[order], user[order]), 2)
    return running


def _batches(
    session: np.ndarray, page_view: np.ndarray, timestamp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(batch_event_index, batch_page_id, batch_ordering_id): one batch per page."""
    order = np.argsort(session, kind="stable")
    grouped, views = session[order], page_view[order]
    count = group_cumsum(views.astype(np.float64), grouped).astype(np.int64)
    page = np.maximum(count, 1)
    flagged = np.where(views, np.arange(len(order)), -1)
    latest = np.maximum.accumulate(flagged) if len(flagged) else flagged
    starts = group_starts(grouped)
    first = np.repeat(starts, np.diff(np.r_[starts, len(grouped)]))
    loaded = np.where(latest >= first, latest, first)
    batch_key = grouped.astype(np.int64) * 1_000 + page
    index = group_cumsum(np.ones(len(order)), batch_key, exclusive=True).astype(np.int64)
    out = [np.empty(len(order), np.int64) for _ in range(3)]
    for target, values in zip(out, (index, timestamp[order][loaded] // 1_000, page), strict=True):
        target[order] = values
    return out[0], out[1], out[2]


def _google_ids(world: World) -> dict[tuple[str, str | None], tuple[str, str, str | None]]:
    """(campaign name, ad group name) → (customer id, campaign id, ad group id)."""
    campaigns = world.tables["google_ads_campaigns"].to_pylist()
    groups = world.tables["google_ads_ad_groups"].to_pylist()
    by_id = {c["id"]: c for c in campaigns}
    out: dict[tuple[str, str | None], tuple[str, str, str | None]] = {}
    for group in groups:
        campaign = by_id[group["campaign_id"]]
        out[(campaign["name"], group["name"])] = (
            str(campaign["customer_id"]),
            str(campaign["id"]),
            str(group["id"]),
        )
    return out
