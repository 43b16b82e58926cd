"""The world's Google Ads tables reshaped into frames whose columns are GAQL field names."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

#: Pulls the metrics table as the platform reports it on a given day (restatement applied).
MetricsView = Callable[[dt.date], pa.Table]

_METRIC_COLUMNS = {
    "date": "segments.date",
    "customer_id": "customer.id",
    "campaign_id": "campaign.id",
    "ad_group_id": "ad_group.id",
    "ad_id": "ad_group_ad.ad.id",
    "cost_micros": "metrics.cost_micros",
    "impressions": "metrics.impressions",
    "clicks": "metrics.clicks",
    "conversions": "metrics.conversions",
    "conversions_value": "metrics.conversions_value",
    "all_conversions": "metrics.all_conversions",
}

#: The key columns of each FROM resource: metrics are summed per key (and selected segments).
KEYS: dict[str, tuple[str, ...]] = {
    "customer": ("customer.id",),
    "campaign": ("customer.id", "campaign.id"),
    "ad_group": ("customer.id", "campaign.id", "ad_group.id"),
    "ad_group_ad": ("customer.id", "campaign.id", "ad_group.id", "ad_group_ad.ad.id"),
}


@dataclass(frozen=True)
class AccountTables:
    """Attribute frames per FROM resource (joined down to the customer) for all customers."""

    frames: dict[str, pd.DataFrame]
    customer_ids: frozenset[int]


def account_tables(world: Any) -> AccountTables:
    """Build the attribute frames once from `world.tables` and `world.config`."""
    campaigns = _campaigns(world.tables["google_ads_campaigns"].to_pandas())
    customers = _customers(campaigns["customer.id"].unique(), world.config)
    campaigns = campaigns.merge(customers, on="customer.id")
    groups = _ad_groups(world.tables["google_ads_ad_groups"].to_pandas())
    parents = campaigns.drop(columns=_budget_columns())
    groups = groups.merge(parents, on=["customer.id", "campaign.id"])
    ads = _ads(world.tables["google_ads_ads"].to_pandas())
    ads = ads.merge(groups, on=["customer.id", "campaign.id", "ad_group.id"])
    frames = {"customer": customers, "campaign": campaigns, "ad_group": groups, "ad_group_ad": ads}
    return AccountTables(frames, frozenset(customers["customer.id"].tolist()))


def metrics_frame(table: pa.Table) -> pd.DataFrame:
    """Daily ad-level metrics with GAQL column names and ISO date strings."""
    frame = table.select(list(_METRIC_COLUMNS)).to_pandas().rename(columns=_METRIC_COLUMNS)
    frame["segments.date"] = pd.to_datetime(frame["segments.date"]).dt.strftime("%Y-%m-%d")
    return frame


def _budget_columns() -> list[str]:
    return ["campaign_budget.id", "campaign_budget.amount_micros", "campaign.campaign_budget"]


def _customers(ids: Any, config: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer.id": ids,
            "customer.descriptive_name": config.site_host,
            "customer.currency_code": config.currency,
            "customer.time_zone": "Etc/UTC",
        }
    )


def _campaigns(frame: pd.DataFrame) -> pd.DataFrame:
    customer = frame["customer_id"].astype(str)
    return pd.DataFrame(
        {
            "customer.id": frame["customer_id"],
            "campaign.id": frame["id"],
            "campaign.name": frame["name"],
            "campaign.status": frame["status"],
            "campaign.advertising_channel_type": frame["advertising_channel_type"],
            # the API's enum has no MAXIMIZE_CLICKS: "Maximize clicks" is TARGET_SPEND
            "campaign.bidding_strategy_type": frame["bidding_strategy_type"].replace(
                {"MAXIMIZE_CLICKS": "TARGET_SPEND"}
            ),
            "campaign.start_date_time": _day_times(frame["start_date"], "00:00:00"),
            "campaign.end_date_time": _day_times(frame["end_date"], "23:59:59"),
            # The world has one budget per campaign and no budget ids: reuse the campaign id.
            "campaign.campaign_budget": "customers/"
            + customer
            + "/campaignBudgets/"
            + frame["id"].astype(str),
            "campaign_budget.id": frame["id"],
            "campaign_budget.amount_micros": frame["campaign_budget_amount_micros"],
        }
    )


def _ad_groups(frame: pd.DataFrame) -> pd.DataFrame:
    customer = frame["customer_id"].astype(str)
    return pd.DataFrame(
        {
            "customer.id": frame["customer_id"],
            "campaign.id": frame["campaign_id"],
            "ad_group.id": frame["id"],
            "ad_group.name": frame["name"],
            "ad_group.status": frame["status"],
            "ad_group.type": frame["type"],
            "ad_group.campaign": "customers/"
            + customer
            + "/campaigns/"
            + frame["campaign_id"].astype(str),
            "ad_group.cpc_bid_micros": frame["cpc_bid_micros"],
        }
    )


def _ads(frame: pd.DataFrame) -> pd.DataFrame:
    customer = frame["customer_id"].astype(str)
    return pd.DataFrame(
        {
            "customer.id": frame["customer_id"],
            "campaign.id": frame["campaign_id"],
            "ad_group.id": frame["ad_group_id"],
            "ad_group_ad.ad.id": frame["ad_id"],
            "ad_group_ad.ad.name": None,  # responsive search ads carry no name
            "ad_group_ad.ad.type": frame["type"],
            "ad_group_ad.ad.final_urls": frame["final_urls"].map(list),
            "ad_group_ad.status": frame["status"],
            "ad_group_ad.ad_group": "customers/"
            + customer
            + "/adGroups/"
            + frame["ad_group_id"].astype(str),
        }
    )


def _day_times(days: pd.Series, clock: str) -> pd.Series:
    return pd.to_datetime(days).dt.strftime("%Y-%m-%d") + " " + clock


class WorldData:
    """The account frames plus the metrics as reported on the sandbox clock's `today`
    (restated inside the conversion window), cached per day."""

    def __init__(self, world: Any, view: MetricsView, today: dt.date) -> None:
        self.accounts = account_tables(world)
        self._view = view
        self._today = today
        self._cache: dict[dt.date, pd.DataFrame] = {}
        self._lock = threading.Lock()

    @property
    def today(self) -> dt.date:
        return self._today

    def set_today(self, today: dt.date) -> None:
        self._today = today

    def metrics(self) -> pd.DataFrame:
        today = self._today
        with self._lock:
            if today not in self._cache:
                self._cache[today] = metrics_frame(self._view(today))
            return self._cache[today]
