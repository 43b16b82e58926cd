"""Daily and weekly lead and revenue series per channel, read from marts.fct_channel_roi_daily."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from mdp.errors import MdpError
from mdp.warehouse.base import Warehouse
from mdp.warehouse.sql import date_literal

ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
)
METRICS = ("leads", "revenue")
ALL_CHANNELS = "(all)"


class ForecastInputError(MdpError):
    """The forecast was asked for something the marts cannot give (bad model name, no data)."""


@dataclass(frozen=True)
class SeriesKey:
    """Which series: metric (leads / revenue), frequency (daily / weekly) and channel."""

    metric: str
    frequency: str
    channel: str

    def __str__(self) -> str:
        return f"{self.metric}|{self.frequency}|{self.channel}"


def check_attribution_model(name: str) -> str:
    """The model name, if the marts know it (it is inlined into SQL, so it must be one of ours)."""
    if name not in ATTRIBUTION_MODELS:
        raise ForecastInputError(
            f"unknown attribution model {name!r}; use one of {', '.join(ATTRIBUTION_MODELS)}"
        )
    return name


def channel_day_sql(
    as_of: date, attribution_model: str, table: str = "marts.fct_channel_roi_daily"
) -> str:
    """Leads and revenue credited per channel and day up to as_of (portable DuckDB/BigQuery SQL).

    Spend rows repeat under every attribution model, so one model is selected before summing.
    """
    model = check_attribution_model(attribution_model)
    return f"""
        select
            date_day,
            channel,
            sum(leads) as leads,
            sum(attributed_revenue) as revenue
        from {table}
        where attribution_model = '{model}'
            and date_day <= {date_literal(as_of)}
        group by date_day, channel
    """


def daily_frame(rows: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """A day × channel grid (missing days are 0) from tracking start to as_of, plus '(all)'.

    Tracking start is the first day with a credited lead: won deals older than the tracked
    history (attributed to nothing) would otherwise stretch every series over years of zeros.
    """
    rows = rows.assign(date_day=pd.to_datetime(rows["date_day"]))
    with_leads = rows.loc[rows["leads"] > 0, "date_day"]
    if with_leads.empty:
        raise ForecastInputError(
            f"marts.fct_channel_roi_daily has no credited lead on or before {as_of}; "
            "build the marts (mdp transform) or pick a later as_of"
        )
    days = pd.date_range(with_leads.min(), pd.Timestamp(as_of), freq="D", name="date_day")
    wide = (
        rows.loc[rows["date_day"] >= days[0]]
        .pivot_table(index="date_day", columns="channel", values=list(METRICS), aggfunc="sum")
        .reindex(days, fill_value=0.0)
        .fillna(0.0)
        .astype(float)
    )
    for metric in METRICS:
        wide[(metric, ALL_CHANNELS)] = wide[metric].sum(axis=1)
    return wide.sort_index(axis=1)


def weekly_frame(daily: pd.DataFrame) -> pd.DataFrame:
    """Sums over complete Monday-to-Sunday weeks, indexed by the week's Monday."""
    index = daily.index
    first_monday = index[0] + timedelta(days=(7 - index[0].weekday()) % 7)
    last_sunday = index[-1] - timedelta(days=(index[-1].weekday() + 1) % 7)
    complete = daily.loc[first_monday:last_sunday]
    monday = complete.index - pd.to_timedelta(complete.index.weekday, unit="D")
    return complete.groupby(monday.rename("week_start")).sum()


def load_series(
    warehouse: Warehouse, as_of: date, attribution_model: str = "linear"
) -> dict[SeriesKey, pd.Series]:
    """Every non-empty daily and weekly series, keyed by metric, frequency and channel."""
    rows = warehouse.query(
        channel_day_sql(
            as_of, attribution_model, warehouse.qualified_name("marts.fct_channel_roi_daily")
        )
    ).to_pandas()
    for metric in METRICS:
        rows[metric] = rows[metric].astype(float)
    daily = daily_frame(rows, as_of)
    frames = {"daily": daily, "weekly": weekly_frame(daily)}
    series = {}
    for frequency, frame in frames.items():
        for metric, channel in frame.columns:
            values = frame[(metric, channel)]
            if (values != 0).any():
                series[SeriesKey(metric, frequency, channel)] = values.rename(None)
    return series


def default_as_of(warehouse: Warehouse) -> date:
    """The latest day in marts.fct_channel_roi_daily (the forecasts start the day after)."""
    table = warehouse.qualified_name("marts.fct_channel_roi_daily")
    latest = warehouse.query(f"select max(date_day) as day from {table}")["day"][0].as_py()
    if latest is None:
        raise ForecastInputError(
            "marts.fct_channel_roi_daily is empty: build the marts (`mdp transform`)"
        )
    day: date = latest
    return day
