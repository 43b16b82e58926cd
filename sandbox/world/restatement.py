"""What a platform reports when pulled on a given day: unfinished days, maturing conversions."""

from __future__ import annotations

import zlib
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.world.errors import UnknownTableError
from sandbox.world.rng import stable_uniform

if TYPE_CHECKING:
    from sandbox.world.world import World

META_TABLE, GOOGLE_TABLE, GA4_TABLE = (
    "meta_ad_insights_daily",
    "google_ads_metrics_daily",
    "ga4_events",
)
VIEWABLE = (META_TABLE, GOOGLE_TABLE, GA4_TABLE)
_META_CONVERSIONS = tuple(
    f"{action}{kind}_{window}"
    for action in ("lead", "purchase")
    for kind in ("", "_value")
    for window in ("1d_click", "7d_click", "1d_view")
)
_GOOGLE_CONVERSIONS = ("conversions", "conversions_value", "all_conversions")
_GA4_FIRST_DAY_MISSING = 0.35  # share of yesterday's sessions not processed yet


def maturity(age_days: np.ndarray, window_days: int) -> np.ndarray:
    """Share of a day's final conversions reported `age_days` after it: 0 → 1 at the window.

    m(a) = (1 − e^(−4a/W)) / (1 − e^(−4)), capped at 1: about two thirds arrive in the first
    quarter of the window (conversion lag, modelled and offline conversions come later).
    """
    rate = 4.0 / window_days
    share = -np.expm1(-rate * np.asarray(age_days, dtype=np.float64)) / -np.expm1(-4.0)
    return np.where(np.asarray(age_days) >= window_days, 1.0, np.clip(share, 0.0, 1.0))


def ga4_missing_share(age_days: np.ndarray, processing_days: int) -> np.ndarray:
    """Share of a day's sessions not yet in the export `age_days` later (0 after processing)."""
    age = np.asarray(age_days, dtype=np.float64)
    share = _GA4_FIRST_DAY_MISSING * np.power(1 / 3, age - 1)
    return np.where(age > processing_days, 0.0, share)


def platform_view(world: World, table_name: str, as_of: date) -> pa.Table:
    """The table as the platform reports it when pulled at 00:00 UTC on `as_of`.

    Only days before `as_of` are returned. Ad platforms report spend, impressions and clicks
    as final from the next day on, while conversions mature over the restatement window
    (Meta `restatement_days_meta`, Google `conversion_window_days_google`). GA4 drops a
    deterministic subset of sessions of the last `ga4_processing_days` days. Pulling at or after
    `end + window` returns exactly the final table.
    """
    if table_name not in VIEWABLE:
        raise UnknownTableError(
            f"platform_view serves {', '.join(VIEWABLE)}; {table_name!r} is an end-of-world "
            "snapshot: read world.tables[name] instead"
        )
    table = world.tables[table_name]
    config = world.config
    if table_name == GA4_TABLE:
        return table.filter(ga4_visible(table, as_of, config.ga4_processing_days))
    date_column = "date"
    recent = table.filter(pc.less(table[date_column], pa.scalar(as_of, pa.date32())))
    if table_name == META_TABLE:
        return _matured(recent, as_of, config.restatement_days_meta, _META_CONVERSIONS)
    return _matured(recent, as_of, config.conversion_window_days_google, _GOOGLE_CONVERSIONS)


def _age_days(dates: pa.ChunkedArray, as_of: date) -> np.ndarray:
    days = dates.to_numpy().astype("datetime64[D]")
    return (np.datetime64(as_of, "D") - days).astype(np.int64)


def _matured(table: pa.Table, as_of: date, window: int, columns: tuple[str, ...]) -> pa.Table:
    age = _age_days(table["date"], as_of)
    if not len(age) or age.min() >= window:
        return table
    share = maturity(age, window)
    for name in columns:
        final = table[name].to_numpy()
        if pa.types.is_integer(table.schema.field(name).type):
            reported = np.floor(final * share + 1e-9).astype(final.dtype)
        else:
            digits = 2 if name.endswith("value") or "_value_" in name else 6
            reported = np.round(final * share, digits)
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(reported))
    return table


def ga4_visible(events: pa.Table, as_of: date, processing_days: int) -> pa.Array:
    """Mask of events exported by `as_of`: earlier days, minus sessions still in processing."""
    age = _age_days(events["event_date"], as_of)
    visible = age >= 1
    pending = visible & (age <= processing_days)
    if pending.any():
        rows = np.flatnonzero(pending)
        u = session_uniform(events.take(pa.array(rows)))
        visible[rows] = u >= ga4_missing_share(age[rows], processing_days)
    return pa.array(visible)


def session_uniform(events: pa.Table) -> np.ndarray:
    """Stable U[0, 1) per (user_pseudo_id, ga_session_id), independent of table layout."""
    pseudo = events["user_pseudo_id"].combine_chunks()
    if not pa.types.is_dictionary(pseudo.type):
        pseudo = pc.dictionary_encode(pseudo)
    hashes = np.array([zlib.crc32(v.encode()) for v in pseudo.dictionary.to_pylist()], np.uint64)
    user_hash = hashes[pseudo.indices.to_numpy(zero_copy_only=False)]
    session = events["ga_session_id"].to_numpy().astype(np.uint64)
    return stable_uniform(session ^ (user_hash << np.uint64(32)), salt=7)
