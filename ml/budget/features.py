"""Daily spend and attributed results per paid channel or campaign from fct_channel_roi_daily."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from mdp.warehouse.base import Warehouse
from mdp.warehouse.sql import date_literal
from ml.budget.optimize import BudgetInputError
from ml.forecasting.features import check_attribution_model

TARGETS = ("leads", "customers", "purchases", "conversions", "revenue")
LEVELS = ("channel", "campaign")


def spend_sql(
    as_of: date, start: date, attribution_model: str, table: str = "marts.fct_channel_roi_daily"
) -> str:
    """Spend and credited results per day, channel and campaign (one attribution model)."""
    model = check_attribution_model(attribution_model)
    return f"""
        select
            date_day,
            channel,
            campaign,
            sum(spend) as spend,
            sum(leads) as leads,
            sum(customers) as customers,
            sum(purchases) as purchases,
            sum(attributed_revenue) as revenue
        from {table}
        where attribution_model = '{model}'
            and date_day > {date_literal(start)}
            and date_day <= {date_literal(as_of)}
        group by date_day, channel, campaign
    """


def load_daily(
    warehouse: Warehouse, as_of: date, attribution_model: str = "linear", history_days: int = 365
) -> pd.DataFrame:
    """Long frame (date_day, channel, campaign, spend, leads, ..., conversions) of paid rows.

    Only channels that spent in the history are kept; every day of the history is present for
    every campaign (zeros where the mart has no row).
    """
    start = as_of - timedelta(days=history_days)
    table = warehouse.qualified_name("marts.fct_channel_roi_daily")
    rows = warehouse.query(spend_sql(as_of, start, attribution_model, table)).to_pandas()
    if rows.empty:
        raise BudgetInputError(f"marts.fct_channel_roi_daily has no rows in {start}..{as_of}")
    numeric = ["spend", "leads", "customers", "purchases", "revenue"]
    rows[numeric] = rows[numeric].astype(float)
    paid = rows.groupby("channel")["spend"].transform("sum") > 0
    rows = rows.loc[paid].assign(date_day=pd.to_datetime(rows["date_day"]))
    if rows.empty:
        raise BudgetInputError(f"no channel has ad spend in {start}..{as_of}")
    days = pd.date_range(start + timedelta(days=1), as_of, freq="D", name="date_day")
    keys = rows[["channel", "campaign"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"date_day": days}), how="cross")
    full = grid.merge(rows, on=["channel", "campaign", "date_day"], how="left").fillna(0.0)
    full["conversions"] = full["leads"] + full["customers"] + full["purchases"]
    return full.sort_values(["channel", "campaign", "date_day"]).reset_index(drop=True)


def entity_series(daily: pd.DataFrame, level: str, target: str) -> dict[str, pd.DataFrame]:
    """Per channel (or campaign): a day-indexed frame with spend and the target response."""
    if level not in LEVELS or target not in TARGETS:
        raise BudgetInputError(
            f"level must be one of {LEVELS} and target one of {TARGETS}; got {level!r}, {target!r}"
        )
    out = {}
    for name, part in daily.groupby(level, sort=True):
        frame = part.groupby("date_day")[["spend", target]].sum()
        out[str(name)] = frame.rename(columns={target: "response"})
    return out
