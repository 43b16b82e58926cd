"""Google Ads streams: the GAQL each one selects, the raw table it fills and its natural keys."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.schema import StreamSchema, fields

#: Money in the raw tables: micros as sent (exact int64) plus the currency amount, also exact.
COST = pa.decimal128(18, 6)
MICROS_SCALE = 6


@dataclass(frozen=True)
class Column:
    """One selected GAQL field and the raw column it fills; `kind` says how to decode it."""

    gaql: str
    name: str
    kind: str = "scalar"  # scalar | enum | list | datetime | date


@dataclass(frozen=True)
class Stream:
    """A GAQL query shape and its raw table (`daily`: date-segmented, queried by window)."""

    name: str
    resource: str
    columns: tuple[Column, ...]
    schema: StreamSchema
    daily: bool = False

    def query(self, window: tuple[date, date] | None = None) -> str:
        """The GAQL for this stream (over a date window when it is date-segmented: one day per
        row for the daily metrics, the window's sum for the account totals)."""
        text = f"SELECT {', '.join(c.gaql for c in self.columns)} FROM {self.resource}"
        if self.daily:
            if window is None:
                raise ValueError(f"{self.name} is queried over a date window")
            first, last = window
            text += f" WHERE segments.date BETWEEN '{first.isoformat()}' AND '{last.isoformat()}'"
        return text


def _c(gaql: str, name: str, kind: str = "scalar") -> Column:
    return Column(gaql, name, kind)


CAMPAIGNS = Stream(
    name="campaigns",
    resource="campaign",
    columns=(
        _c("customer.id", "customer_id"),
        _c("campaign.id", "campaign_id"),
        _c("campaign.name", "name"),
        _c("campaign.status", "status", "enum"),
        _c("campaign.advertising_channel_type", "advertising_channel_type", "enum"),
        _c("campaign.bidding_strategy_type", "bidding_strategy_type", "enum"),
        _c("campaign.start_date_time", "start_date_time", "datetime"),
        _c("campaign.end_date_time", "end_date_time", "datetime"),
        _c("campaign_budget.id", "budget_id"),
        _c("campaign_budget.amount_micros", "budget_amount_micros"),
        _c("customer.currency_code", "currency_code"),
    ),
    schema=StreamSchema(
        table="raw.google_ads_campaigns",
        keys=("customer_id", "campaign_id"),
        fields=fields(
            ("customer_id", pa.int64()),
            ("campaign_id", pa.int64()),
            ("name", pa.string()),
            ("status", pa.string()),
            ("advertising_channel_type", pa.string()),
            ("bidding_strategy_type", pa.string()),
            # account-local wall time, as the API sends it (no time zone attached)
            ("start_date_time", pa.timestamp("s"), False),
            ("end_date_time", pa.timestamp("s"), False),
            ("budget_id", pa.int64(), False),
            ("budget_amount_micros", pa.int64(), False),
            ("currency_code", pa.string()),
        ),
    ),
)

AD_GROUPS = Stream(
    name="ad_groups",
    resource="ad_group",
    columns=(
        _c("customer.id", "customer_id"),
        _c("campaign.id", "campaign_id"),
        _c("ad_group.id", "ad_group_id"),
        _c("ad_group.name", "name"),
        _c("ad_group.status", "status", "enum"),
        _c("ad_group.type", "type", "enum"),
        _c("ad_group.cpc_bid_micros", "cpc_bid_micros"),
    ),
    schema=StreamSchema(
        table="raw.google_ads_ad_groups",
        keys=("customer_id", "ad_group_id"),
        fields=fields(
            ("customer_id", pa.int64()),
            ("campaign_id", pa.int64()),
            ("ad_group_id", pa.int64()),
            ("name", pa.string()),
            ("status", pa.string()),
            ("type", pa.string()),
            ("cpc_bid_micros", pa.int64(), False),
        ),
    ),
)

ADS = Stream(
    name="ads",
    resource="ad_group_ad",
    columns=(
        _c("customer.id", "customer_id"),
        _c("campaign.id", "campaign_id"),
        _c("ad_group.id", "ad_group_id"),
        _c("ad_group_ad.ad.id", "ad_id"),
        _c("ad_group_ad.ad.name", "name"),
        _c("ad_group_ad.ad.type", "type", "enum"),
        _c("ad_group_ad.ad.final_urls", "final_urls", "list"),
        _c("ad_group_ad.status", "status", "enum"),
    ),
    schema=StreamSchema(
        # an ad belongs to an ad group: the API's ad_group_ad resource is (ad group, ad)
        table="raw.google_ads_ads",
        keys=("customer_id", "ad_group_id", "ad_id"),
        fields=fields(
            ("customer_id", pa.int64()),
            ("campaign_id", pa.int64()),
            ("ad_group_id", pa.int64()),
            ("ad_id", pa.int64()),
            ("name", pa.string(), False),
            ("type", pa.string()),
            ("final_urls", pa.list_(pa.string()), False),
            ("status", pa.string()),
        ),
    ),
)

AD_METRICS_DAILY = Stream(
    name="ad_metrics_daily",
    resource="ad_group_ad",
    columns=(
        _c("customer.id", "customer_id"),
        _c("campaign.id", "campaign_id"),
        _c("ad_group.id", "ad_group_id"),
        _c("ad_group_ad.ad.id", "ad_id"),
        _c("segments.date", "date", "date"),
        _c("customer.currency_code", "currency_code"),
        _c("metrics.cost_micros", "cost_micros"),
        _c("metrics.impressions", "impressions"),
        _c("metrics.clicks", "clicks"),
        _c("metrics.conversions", "conversions"),
        _c("metrics.conversions_value", "conversions_value"),
        _c("metrics.all_conversions", "all_conversions"),
    ),
    schema=StreamSchema(
        table="raw.google_ads_ad_metrics_daily",
        keys=("customer_id", "ad_id", "date"),
        fields=fields(
            ("customer_id", pa.int64()),
            ("campaign_id", pa.int64()),
            ("ad_group_id", pa.int64()),
            ("ad_id", pa.int64()),
            ("date", pa.date32()),
            ("currency_code", pa.string()),
            ("cost_micros", pa.int64()),
            ("cost", COST),
            ("impressions", pa.int64()),
            ("clicks", pa.int64()),
            ("conversions", pa.float64()),
            ("conversions_value", pa.float64()),
            ("all_conversions", pa.float64()),
        ),
        partition_by="date",
    ),
    daily=True,
)

#: The account's own daily totals: what the loaded ad rows must add up to (reconciliation).
CUSTOMER_TOTALS = Stream(
    name="customer_totals",
    resource="customer",
    columns=(
        _c("customer.id", "customer_id"),
        _c("metrics.cost_micros", "cost_micros"),
        _c("metrics.impressions", "impressions"),
        _c("metrics.clicks", "clicks"),
    ),
    schema=StreamSchema(
        table="raw.google_ads_customer_totals",  # never loaded: only reconciles the metrics
        keys=("customer_id",),
        fields=fields(
            ("customer_id", pa.int64()),
            ("cost_micros", pa.int64()),
            ("impressions", pa.int64()),
            ("clicks", pa.int64()),
        ),
    ),
    daily=True,
)
RECONCILED = ("cost_micros", "impressions", "clicks")

ATTRIBUTE_STREAMS = (CAMPAIGNS, AD_GROUPS, ADS)
METRIC_STREAMS = (AD_METRICS_DAILY,)
RAW_TABLES = tuple(s.schema.table for s in (*ATTRIBUTE_STREAMS, *METRIC_STREAMS))


# -- GoogleAdsRow protobufs → Arrow ----------------------------------------------------------------


def _leaf(row: Any, path: str) -> tuple[Any, Any]:
    """(message, field descriptor) of a GAQL path; proto-plus names some fields `type_`."""
    message = row
    *parents, leaf = path.split(".")
    for part in parents:
        message = getattr(message, _attribute(message, part))
    field = message.DESCRIPTOR.fields_by_name[_attribute(message, leaf)]
    return message, field


def _attribute(message: Any, name: str) -> str:
    return name if name in message.DESCRIPTOR.fields_by_name else f"{name}_"


def _value(row: Any, column: Column) -> Any:
    message, field = _leaf(row, column.gaql)
    if column.kind == "list":
        return list(getattr(message, field.name))
    if field.has_presence and not message.HasField(field.name):
        return None  # the API left it out: null, not the protobuf default
    value = getattr(message, field.name)
    if column.kind == "enum":
        known = field.enum_type.values_by_number.get(value)
        return known.name if known else str(value)
    return value


def rows_to_arrow(rows: Sequence[Any], stream: Stream) -> pa.Table:
    """Decode GoogleAdsRow protobufs into a table with the stream's raw column names."""
    data = {c.name: [_value(row, c) for row in rows] for c in stream.columns}
    table = pa.table(data) if rows else _empty(stream)
    for column in stream.columns:
        if column.kind in ("date", "datetime") and rows:
            table = _parse_time(table, column)
    if stream is AD_METRICS_DAILY:
        table = with_cost(table)
    return table


def _empty(stream: Stream) -> pa.Table:
    declared = {f.name: f.type for f in stream.schema.fields}
    return pa.table({c.name: pa.array([], declared[c.name]) for c in stream.columns})


def _parse_time(table: pa.Table, column: Column) -> pa.Table:
    raw = table.column(column.name)
    if column.kind == "date":
        parsed = pc.cast(pc.strptime(raw, format="%Y-%m-%d", unit="s"), pa.date32())
    else:
        parsed = pc.strptime(raw, format="%Y-%m-%d %H:%M:%S", unit="s")
    index = table.column_names.index(column.name)
    return table.set_column(index, column.name, parsed)


def with_cost(table: pa.Table) -> pa.Table:
    """Add `cost` in the account currency from `cost_micros` — the only place money is scaled.

    A micros integer is exactly the unscaled value of a decimal with scale 6, so the decimal is
    built from the same integer bits: no float ever touches the amount.
    """
    micros = table.column("cost_micros").combine_chunks()
    values = np.asarray(pc.fill_null(micros, 0).to_numpy(), dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # sign-extend to 128 bits
    cost = pa.Array.from_buffers(COST, len(values), [None, pa.py_buffer(words.tobytes())])
    if micros.null_count:  # keep a missing amount missing (the quality gate then refuses it)
        cost = pc.if_else(pc.is_valid(micros), cost, pa.scalar(None, COST))
    return table.append_column("cost", cost)


def concat(tables: Iterable[pa.Table]) -> pa.Table | None:
    """One table from several (None when there are none)."""
    parts = [t for t in tables if t.num_rows]
    return pa.concat_tables(parts) if parts else None
