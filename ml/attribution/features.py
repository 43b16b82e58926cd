"""Journeys from the marts: converting paths (fct_conversion_paths) and non-converting ones.

A conversion's journey is its path in marts.fct_conversion_paths. A non-converting journey is
the channel sequence of the sessions (marts.fct_sessions) of a person without that conversion:
a lead's client ids (marts.dim_identities) for leads and won deals, a client id for purchases.
Its window ends at the lead's creation (leads that did not win) or else the person's last
session, and reaches `lookback_days` back, as the converting paths do.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from mdp.warehouse import Warehouse
from mdp.warehouse.sql import date_literal
from ml.attribution.journeys import DEFAULT_SEP
from ml.common.errors import NotEnoughDataError

UNATTRIBUTED = "Unattributed"  # fct_conversion_paths' touchpoint for a conversion without one
CONVERSION_TYPES = ("lead", "won_deal", "purchase")
TOUCHPOINT_COLUMNS = (
    "touchpoint_key",
    "conversion_id",
    "conversion_type",
    "conversion_date",
    "touchpoint_number",
    "touch_count",
    "session_key",
    "channel",
    "source",
    "medium",
    "campaign",
    "revenue",
)


def snapshot_date(warehouse: Warehouse, snapshot: date | None) -> date:
    """The given day, else the latest conversion day in marts.fct_conversion_paths."""
    if snapshot is not None:
        return snapshot
    table = warehouse.qualified_name("marts.fct_conversion_paths")
    latest = warehouse.query(f"select max(conversion_date) as day from {table}")["day"][0]
    if latest.as_py() is None:
        raise NotEnoughDataError(
            "marts.fct_conversion_paths has no conversion: build the marts (`mdp transform`)"
        )
    day: date = latest.as_py()
    return day


def _up_to(column: str, as_of: date | None) -> str:
    """A where clause keeping rows dated on or before as_of (none without as_of)."""
    return "" if as_of is None else f"where {column} <= {date_literal(as_of)}"


def touchpoints(warehouse: Warehouse, schema: str = "marts", as_of: date | None = None) -> pa.Table:
    """Every touchpoint of every conversion (up to as_of, when given), in path order."""
    columns = ", ".join(TOUCHPOINT_COLUMNS)
    return warehouse.query(
        f"select {columns} from {warehouse.qualified_name(f'{schema}.fct_conversion_paths')} "
        f"{_up_to('conversion_date', as_of)} "
        "order by conversion_id, touchpoint_number"
    )


def _sessions(warehouse: Warehouse, schema: str, as_of: date | None) -> pd.DataFrame:
    # one lead per client id: a shared device must not duplicate its sessions
    return warehouse.query(
        f"""
        with identities as (
            select user_pseudo_id, min(lead_id) as lead_id
            from {warehouse.qualified_name(f"{schema}.dim_identities")}
            group by user_pseudo_id
        )
        select
            sessions.user_pseudo_id,
            identities.lead_id,
            sessions.started_at,
            sessions.session_key,
            sessions.default_channel_group as channel
        from {warehouse.qualified_name(f"{schema}.fct_sessions")} as sessions
        left join identities on sessions.user_pseudo_id = identities.user_pseudo_id
        {_up_to("sessions.session_date", as_of)}
        """
    ).to_pandas()


def _conversions(warehouse: Warehouse, schema: str, as_of: date | None) -> pd.DataFrame:
    table = warehouse.qualified_name(f"{schema}.fct_conversions")
    return warehouse.query(
        "select conversion_type, lead_id, user_pseudo_id, anchor_at "
        f"from {table} {_up_to('conversion_date', as_of)}"
    ).to_pandas()


def converting_paths(points: pd.DataFrame, sep: str = DEFAULT_SEP) -> pd.DataFrame:
    """One row per conversion with a touch: conversion_type, path, conversions=1, value."""
    touched = points.loc[points["channel"] != UNATTRIBUTED]
    touched = touched.sort_values(["conversion_id", "touchpoint_number"])
    grouped = touched.groupby("conversion_id", sort=False)
    return pd.DataFrame(
        {
            "conversion_type": grouped["conversion_type"].first(),
            "path": grouped["channel"].agg(sep.join),
            "conversions": 1.0,
            "nulls": 0.0,
            "value": grouped["revenue"].first().astype(np.float64),
        }
    ).reset_index(drop=True)


def _windowed_paths(
    sessions: pd.DataFrame,
    key: pd.Series,
    anchor: pd.Series | None,
    lookback_days: int,
    sep: str,
) -> pd.DataFrame:
    """Null paths: each key's session channels in (anchor - lookback, anchor], counted."""
    frame = pd.DataFrame(
        {
            "key": key.to_numpy(),
            "started_at": sessions["started_at"].to_numpy(),
            "session_key": sessions["session_key"].to_numpy(),
            "channel": sessions["channel"].to_numpy(),
        }
    )
    last = frame.groupby("key")["started_at"].transform("max")
    end = last if anchor is None else frame["key"].map(anchor).fillna(last)
    inside = (frame["started_at"] <= end) & (
        frame["started_at"] > end - pd.Timedelta(days=lookback_days)
    )
    frame = frame.loc[inside].sort_values(["key", "started_at", "session_key"])
    paths = frame.groupby("key", sort=False)["channel"].agg(sep.join)
    counted = paths.value_counts()
    return pd.DataFrame(
        {"path": counted.index.to_numpy(), "conversions": 0.0, "nulls": counted.to_numpy()}
    )


def non_converting_paths(
    warehouse: Warehouse,
    lookback_days: int = 90,
    schema: str = "marts",
    sep: str = DEFAULT_SEP,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Per conversion type, the counted channel paths of people without such a conversion
    (by as_of, when given: later sessions and conversions are not known yet)."""
    sessions = _sessions(warehouse, schema, as_of)
    conversions = _conversions(warehouse, schema, as_of)
    lead_anchor = conversions.loc[conversions["conversion_type"] == "lead"].set_index("lead_id")[
        "anchor_at"
    ]
    person = sessions["lead_id"].fillna("client:" + sessions["user_pseudo_id"])
    frames = []
    for conversion_type in CONVERSION_TYPES:
        of_type = conversions.loc[conversions["conversion_type"] == conversion_type]
        if conversion_type == "purchase":
            converted = sessions["user_pseudo_id"].isin(of_type["user_pseudo_id"])
            key, anchor = sessions["user_pseudo_id"], None
        else:
            converted = sessions["lead_id"].notna() & sessions["lead_id"].isin(of_type["lead_id"])
            key, anchor = person, lead_anchor.astype(sessions["started_at"].dtype)
        null_paths = _windowed_paths(
            sessions.loc[~converted], key.loc[~converted], anchor, lookback_days, sep
        )
        frames.append(null_paths.assign(conversion_type=conversion_type, value=0.0))
    return pd.concat(frames, ignore_index=True)


def journeys(
    warehouse: Warehouse,
    lookback_days: int = 90,
    schema: str = "marts",
    sep: str = DEFAULT_SEP,
    as_of: date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(touchpoints of every conversion, paths with conversions / nulls / value per type),
    as known on as_of when given (conversions, sessions and touches dated up to it)."""
    points = touchpoints(warehouse, schema, as_of).to_pandas()
    converting = converting_paths(points, sep)
    nulls = non_converting_paths(warehouse, lookback_days, schema, sep, as_of)
    columns = ["conversion_type", "path", "conversions", "nulls", "value"]
    return points, pd.concat([converting[columns], nulls[columns]], ignore_index=True)
