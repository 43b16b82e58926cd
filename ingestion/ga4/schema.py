"""Raw tables of the GA4 connector: the daily Data API report and the nested event export."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from ingestion.common.schema import StreamSchema, fields

REPORT_TABLE = "raw.ga4_report_daily"
EVENTS_TABLE = "raw.ga4_events"
#: The day a row was exported for: the partition the export loader replaces on every (re)run.
PARTITION_COLUMN = "_mdp_partition_date"

#: Metrics GA4 reports as whole numbers (TYPE_INTEGER); every other metric is a float.
INTEGER_METRICS = frozenset(
    {
        "activeUsers",
        "addToCarts",
        "checkouts",
        "conversions",
        "ecommercePurchases",
        "engagedSessions",
        "eventCount",
        "keyEvents",
        "newUsers",
        "screenPageViews",
        "sessions",
        "totalPurchasers",
        "totalUsers",
        "transactions",
        "userEngagementDuration",
    }
)
#: Metrics whose rows add up to the dimensionless total of the same window (event-scoped counts
#: and sums). User and session counts are distinct counts: a user active on two days is one user
#: in the window's total, so they cannot be reconciled by summing rows.
ADDITIVE_METRICS = frozenset(
    {
        "conversions",
        "ecommercePurchases",
        "eventCount",
        "keyEvents",
        "purchaseRevenue",
        "screenPageViews",
        "totalRevenue",
        "transactions",
    }
)


def column_name(api_name: str) -> str:
    """GA4 API name → raw column: sessionSourceMedium → session_source_medium."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", api_name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", snake).strip("_").lower()


def metric_type(api_name: str) -> pa.DataType:
    """The declared Arrow type of a metric column."""
    return pa.int64() if api_name in INTEGER_METRICS else pa.float64()


def report_schema(dimensions: Sequence[str], metrics: Sequence[str]) -> StreamSchema:
    """raw.ga4_report_daily for the configured report: one row per property, day and dimensions.

    The key is every dimension (GA4 aggregates by them), so a re-pulled day updates its rows.
    """
    if "date" not in dimensions:
        raise ValueError("the daily GA4 report needs the 'date' dimension")
    dims = [(column_name(d), pa.date32() if d == "date" else pa.string()) for d in dimensions]
    mets = [(column_name(m), metric_type(m)) for m in metrics]
    return StreamSchema(
        table=REPORT_TABLE,
        keys=("property_id", *(name for name, _ in dims)),
        fields=fields(("property_id", pa.string()), *dims, *mets),
        partition_by="date",
    )


_PARAM_VALUE = pa.struct(
    [
        ("string_value", pa.string()),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("double_value", pa.float64()),
    ]
)
#: The top-level columns of Google's documented BigQuery export schema (events_YYYYMMDD). A
#: column outside this list is a new one: the `ga4.events` contract decides what it gets.
EXPORT_COLUMNS = frozenset(
    {
        "event_date", "event_timestamp", "event_name", "event_params",
        "event_previous_timestamp", "event_value_in_usd", "event_bundle_sequence_id",
        "event_server_timestamp_offset", "user_id", "user_pseudo_id", "privacy_info",
        "user_properties", "user_first_touch_timestamp", "user_ltv", "device", "geo",
        "app_info", "traffic_source", "stream_id", "platform", "event_dimensions", "ecommerce",
        "items", "collected_traffic_source", "is_active_user", "batch_event_index",
        "batch_page_id", "batch_ordering_id", "session_traffic_source_last_click", "publisher",
    }
)  # fmt: skip
#: The export columns the quality gate needs, with their types in Google's export schema. The
#: other (nested) columns of the export are loaded as they come, so nothing is lost.
EVENTS_CONTRACT = StreamSchema(
    table=EVENTS_TABLE,
    keys=(),
    fields=fields(
        ("event_date", pa.string()),
        ("event_timestamp", pa.int64()),
        ("event_name", pa.string()),
        ("user_pseudo_id", pa.string()),
        ("event_params", pa.list_(pa.struct([("key", pa.string()), ("value", _PARAM_VALUE)]))),
    ),
    known_extras=EXPORT_COLUMNS,
    # no natural key: clustered for the queries that read it (per event, per visitor)
    cluster_by=("event_name", "user_pseudo_id"),
)
