"""The Meta slice of a world: ad objects as records, insights as reported on a given day."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

Record = dict[str, Any]
#: (as_of) → the meta_ad_insights_daily rows a pull on that day sees.
InsightsView = Callable[[date], Any]


def _records(table: Any) -> list[Record]:
    rows = table.to_pylist() if hasattr(table, "to_pylist") else table.to_dict("records")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    """Nulls as None (Arrow gives None, pandas NaN/NaT), everything else untouched."""
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    return value


@dataclass
class MetaStore:
    """Campaigns, ad sets and ads, plus the insights view a pull on `as_of` returns."""

    account_ids: tuple[str, ...]
    campaigns: list[Record]
    adsets: list[Record]
    ads: list[Record]
    insights_view: InsightsView
    last_day: date
    currency: str = "USD"
    _cache: dict[date, pd.DataFrame] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_tables(
        cls,
        tables: dict[str, Any],
        insights_view: InsightsView,
        last_day: date,
        currency: str = "USD",
    ) -> MetaStore:
        campaigns = _records(tables["meta_campaigns"])
        accounts = tuple(sorted({str(row["account_id"]) for row in campaigns}))
        return cls(
            account_ids=accounts,
            campaigns=campaigns,
            adsets=_records(tables["meta_adsets"]),
            ads=_records(tables["meta_ads"]),
            insights_view=insights_view,
            last_day=last_day,
            currency=currency,
        )

    @classmethod
    def from_world(cls, world: Any) -> MetaStore:
        """Read a sandbox world; insights come from `platform_view` (restatement included)."""
        from sandbox.world import platform_view

        def view(as_of: date) -> Any:
            return platform_view(world, "meta_ad_insights_daily", as_of=as_of)

        return cls.from_tables(world.tables, view, world.config.end, world.config.currency)

    @property
    def default_today(self) -> date:
        """The sandbox clock's default: the day after the world ends (last day complete)."""
        return self.last_day + timedelta(days=1)

    def insights(self, as_of: date) -> pd.DataFrame:
        """Daily ad rows as of a day, with names and statuses joined in (cached per day)."""
        with self._lock:
            if as_of not in self._cache:
                self._cache = {as_of: self._joined(as_of)}
            return self._cache[as_of]

    def _joined(self, as_of: date) -> pd.DataFrame:
        view = self.insights_view(as_of)
        frame = view.to_pandas() if hasattr(view, "to_pandas") else pd.DataFrame(view)
        frame["date"] = pd.to_datetime(frame["date"]).dt.date
        frame["account_id"] = frame["account_id"].astype(str)
        names = [
            (self.campaigns, "campaign_id", ["name", "objective"], "campaign"),
            (self.adsets, "adset_id", ["name"], "adset"),
            (self.ads, "ad_id", ["name", "status"], "ad"),
        ]
        for records, key, columns, prefix in names:
            lookup = pd.DataFrame(records, columns=["id", *columns])
            lookup = lookup.rename(columns={c: f"{prefix}_{c}" for c in columns} | {"id": key})
            frame = frame.merge(lookup, on=key, how="left")
        return frame.rename(columns={"campaign_objective": "objective"})

    def find(self, object_id: str) -> tuple[str, Record] | None:
        """(node type, record) for a campaign, ad set or ad id."""
        for node_type, records in (
            ("Campaign", self.campaigns),
            ("AdSet", self.adsets),
            ("Ad", self.ads),
        ):
            for record in records:
                if record["id"] == object_id:
                    return node_type, record
        return None


def graph_time(value: datetime | None) -> str | None:
    """Graph's timestamp format, e.g. 2025-01-03T09:00:00+0000."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S+0000")
