"""The insights edge: parse a query like Graph does, then aggregate the world's daily ad rows."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from sandbox.emulators.facebook_ads import errors, filtering, insight_rows
from sandbox.emulators.facebook_ads.params import Params, date_range, json_value, string_list
from sandbox.emulators.facebook_ads.store import MetaStore

LEVELS = ("ad", "adset", "campaign", "account")
LEVEL_COLUMNS = {
    "account": ["account_id"],
    "campaign": ["account_id", "campaign_id", "campaign_name", "objective"],
    "adset": ["account_id", "campaign_id", "campaign_name", "objective", "adset_id", "adset_name"],
    "ad": [
        "account_id",
        "campaign_id",
        "campaign_name",
        "objective",
        "adset_id",
        "adset_name",
        "ad_id",
        "ad_name",
    ],
}
BREAKDOWNS = ("publisher_platform",)
REPORT_TIMES = ("impression", "conversion", "mixed")
DEFAULT_FIELDS = ["impressions", "spend"]
_FILTER_COLUMNS = {
    "campaign.id": "campaign_id",
    "adset.id": "adset_id",
    "ad.id": "ad_id",
    "campaign.name": "campaign_name",
    "adset.name": "adset_name",
    "ad.name": "ad_name",
    "ad.effective_status": "ad_status",
    "adset.effective_status": "ad_status",
    "campaign.effective_status": "ad_status",
    "campaign.objective": "objective",
    "impressions": "impressions",
    "spend": "spend",
}
#: Deterministic placement split for the publisher_platform breakdown (sums to 1).
PLATFORM_SHARES = (
    ("facebook", 0.55),
    ("instagram", 0.38),
    ("audience_network", 0.05),
    ("messenger", 0.02),
)


@dataclass(frozen=True)
class InsightsQuery:
    """What an insights request asks for, validated."""

    account_id: str
    level: str
    fields: tuple[str, ...]
    since: date
    until: date
    increment: int | str
    breakdowns: tuple[str, ...]
    windows: tuple[str, ...]
    filtering: Any

    @classmethod
    def parse(cls, account_id: str, query: Params, today: date) -> InsightsQuery:
        since, until = date_range(query, today)
        return cls(
            account_id=account_id,
            level=_choice(query.get("level") or "account", "level", LEVELS),
            fields=tuple(_fields(query)),
            since=since,
            until=until,
            increment=_increment(query.get("time_increment") or "all_days"),
            breakdowns=tuple(_each(string_list(query, "breakdowns"), "breakdowns", BREAKDOWNS)),
            windows=tuple(
                _each(
                    string_list(query, "action_attribution_windows"),
                    "action_attribution_windows",
                    insight_rows.WINDOWS,
                )
            ),
            filtering=_checked_extras(query),
        )


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise errors.invalid_enum(name, allowed)
    return value


def _each(values: list[str], name: str, allowed: tuple[str, ...]) -> list[str]:
    for position, value in enumerate(values):
        _choice(value, f"{name}[{position}]", allowed)
    return values


def _fields(query: Params) -> list[str]:
    fields = string_list(query, "fields") or DEFAULT_FIELDS
    for name in fields:
        if name not in insight_rows.FIELDS:
            raise errors.invalid_insights_field(name)
    return fields


def _increment(value: str) -> int | str:
    if value in ("monthly", "all_days"):
        return value
    if value.isdigit() and 1 <= int(value) <= 90:
        return int(value)
    raise errors.invalid_parameter(
        "time_increment must be an integer between 1 and 90, 'monthly' or 'all_days'."
    )


def _checked_extras(query: Params) -> Any:
    """The filtering rules, after rejecting parameters the emulator does not serve."""
    if query.get("time_ranges"):
        raise errors.invalid_parameter("time_ranges is not supported by the sandbox emulator.")
    for action_breakdown in string_list(query, "action_breakdowns"):
        _choice(action_breakdown, "action_breakdowns[0]", ("action_type",))
    _choice(query.get("action_report_time") or "impression", "action_report_time", REPORT_TIMES)
    return json_value(query, "filtering")


def run(store: MetaStore, query: InsightsQuery, today: date) -> list[dict[str, Any]]:
    """The rows Graph returns for the query, ordered by date then object id."""
    frame = store.insights(today)
    in_range = (frame["date"] >= query.since) & (frame["date"] <= query.until)
    frame = frame.loc[in_range & (frame["account_id"] == query.account_id)]
    frame = filtering.apply(frame, query.filtering, _FILTER_COLUMNS)
    if "publisher_platform" in query.breakdowns:
        frame = split_platforms(frame)
    grouped = _aggregate(frame, query)
    return [
        insight_rows.render(row, query.fields, query.level, query.windows, store.currency)
        for row in grouped.to_dict("records")
    ]


def _aggregate(frame: pd.DataFrame, query: InsightsQuery) -> pd.DataFrame:
    bounds = {day: _bucket(day, query) for day in frame["date"].unique()}
    frame = frame.assign(
        date_start=frame["date"].map(lambda day: bounds[day][0].isoformat()),
        date_stop=frame["date"].map(lambda day: bounds[day][1].isoformat()),
    )
    keys = ["date_start", "date_stop", *LEVEL_COLUMNS[query.level], *query.breakdowns]
    metrics = [c for c in insight_rows.METRIC_COLUMNS if c in frame]
    grouped = frame.groupby(keys, dropna=False, sort=False)[metrics].sum().reset_index()
    order = ["date_start", f"{query.level}_id", *query.breakdowns]
    return grouped.sort_values(order, kind="stable", ignore_index=True)


def _bucket(day: date, query: InsightsQuery) -> tuple[date, date]:
    """The reporting period containing `day` for the query's time_increment."""
    if query.increment == "all_days":
        return query.since, query.until
    if query.increment == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return max(day.replace(day=1), query.since), min(day.replace(day=last), query.until)
    size = int(query.increment)
    start = query.since + timedelta(days=(day - query.since).days // size * size)
    return start, min(start + timedelta(days=size - 1), query.until)


def split_platforms(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per placement; integer and cent totals are preserved exactly (largest share
    takes the rounding remainder), and placements with nothing to report are dropped."""
    metrics = [c for c in insight_rows.METRIC_COLUMNS if c in frame]
    parts = []
    for name, share in PLATFORM_SHARES[1:]:
        part = frame.assign(publisher_platform=name)
        for column in metrics:
            part[column] = _share(frame[column], share)
        parts.append(part)
    first = frame.assign(publisher_platform=PLATFORM_SHARES[0][0])
    for column in metrics:
        rest = sum(part[column] for part in parts)
        first[column] = _rounded(frame[column] - rest, frame[column])
    split = pd.concat([first, *parts], ignore_index=True)
    return split.loc[split[metrics].abs().sum(axis=1) > 0]


def _share(column: pd.Series, share: float) -> pd.Series:
    if pd.api.types.is_integer_dtype(column):
        return (column * share).astype("int64")
    return (column * share).round(2)


def _rounded(values: pd.Series, like: pd.Series) -> pd.Series:
    return values.astype("int64") if pd.api.types.is_integer_dtype(like) else values.round(2)
