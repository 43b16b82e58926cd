"""Raw tables of the Meta Ads connector: fields, types, natural keys and the money type."""

from __future__ import annotations

import pyarrow as pa

from ingestion.common.schema import StreamSchema, fields

#: Meta sends money as decimal strings ("12.5"); the schema casts them to this exact type once,
#: in `StreamSchema.conform`, so no float rounding happens anywhere in the connector.
MONEY = pa.decimal128(18, 6)
TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Attribution windows that get typed conversion columns (others stay in the JSON columns).
FLAT_WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view")
#: Conversions analysts need: column stem → action types, preferred first (the omni-channel
#: type already includes the pixel event, so summing both would double count).
CONVERSIONS = {
    "lead": ("lead", "offsite_conversion.fb_pixel_lead"),
    "purchase": ("purchase", "offsite_conversion.fb_pixel_purchase"),
}

_STATUS = (
    ("status", pa.string(), False),
    ("configured_status", pa.string(), False),
    ("effective_status", pa.string(), False),
)
_TIMES = (("created_time", TIMESTAMP, False), ("updated_time", TIMESTAMP, False))
#: When an object was created and last changed: never in the future (see StreamSchema).
_EVENT_TIMES = ("created_time", "updated_time")

CAMPAIGNS = StreamSchema(
    table="raw.facebook_ads_campaigns",
    keys=("id",),
    event_times=_EVENT_TIMES,
    fields=fields(
        ("id", pa.string()),
        ("account_id", pa.string()),
        ("name", pa.string(), False),
        *_STATUS,
        ("objective", pa.string(), False),
        ("buying_type", pa.string(), False),
        # budgets stay in the account currency's minor units, as Meta reports them (exact)
        ("daily_budget", pa.int64(), False),
        *_TIMES,
        ("start_time", TIMESTAMP, False),
        ("stop_time", TIMESTAMP, False),
    ),
)

ADSETS = StreamSchema(
    table="raw.facebook_ads_adsets",
    keys=("id",),
    event_times=_EVENT_TIMES,
    fields=fields(
        ("id", pa.string()),
        ("account_id", pa.string()),
        ("campaign_id", pa.string(), False),
        ("name", pa.string(), False),
        *_STATUS,
        ("daily_budget", pa.int64(), False),
        ("optimization_goal", pa.string(), False),
        ("billing_event", pa.string(), False),
        *_TIMES,
    ),
)

ADS = StreamSchema(
    table="raw.facebook_ads_ads",
    keys=("id",),
    event_times=_EVENT_TIMES,
    fields=fields(
        ("id", pa.string()),
        ("account_id", pa.string()),
        ("campaign_id", pa.string(), False),
        ("adset_id", pa.string(), False),
        ("name", pa.string(), False),
        *_STATUS,
        *_TIMES,
    ),
)

#: Object streams: the account edge each is listed from, and the schema it loads into.
OBJECT_STREAMS = {"campaigns": CAMPAIGNS, "adsets": ADSETS, "ads": ADS}


def object_fields(schema: StreamSchema) -> list[str]:
    """The Graph fields to request for an object stream (every declared column)."""
    return [f.name for f in schema.fields]


def _conversion_fields() -> list[tuple[str, pa.DataType, bool]]:
    specs: list[tuple[str, pa.DataType, bool]] = []
    for stem in CONVERSIONS:
        plural = f"{stem}s"
        specs += [(plural, pa.int64(), False), (f"{stem}_value", MONEY, False)]
        for window in FLAT_WINDOWS:
            specs += [(f"{plural}_{window}", pa.int64(), False)]
            specs += [(f"{stem}_value_{window}", MONEY, False)]
    return specs


#: The Graph insights fields requested at ad level.
INSIGHT_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "spend",
    "impressions",
    "clicks",
    "reach",
    "inline_link_clicks",
    "actions",
    "action_values",
)

INSIGHTS = StreamSchema(
    table="raw.facebook_ads_insights",
    keys=("account_id", "ad_id", "date_start"),
    fields=fields(
        ("account_id", pa.string()),
        ("ad_id", pa.string()),
        ("date_start", pa.date32()),
        ("date_stop", pa.date32()),
        ("account_currency", pa.string(), False),
        ("campaign_id", pa.string()),
        ("campaign_name", pa.string(), False),
        ("adset_id", pa.string()),
        ("adset_name", pa.string(), False),
        ("ad_name", pa.string(), False),
        ("spend", MONEY),
        ("impressions", pa.int64()),
        ("clicks", pa.int64()),
        ("reach", pa.int64(), False),
        ("inline_link_clicks", pa.int64(), False),
        # the full action lists, losslessly (every action type and attribution window)
        ("actions", pa.string(), False),
        ("action_values", pa.string(), False),
        ("attribution_windows", pa.string()),
        *_conversion_fields(),
    ),
    partition_by="date_start",
)

RAW_TABLES = (CAMPAIGNS.table, ADSETS.table, ADS.table, INSIGHTS.table)
