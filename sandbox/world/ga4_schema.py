"""The GA4 BigQuery export schema (events_YYYYMMDD), as Arrow types, and a struct builder."""

from __future__ import annotations

import pyarrow as pa

_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()


def _struct(*names: str, kind: pa.DataType = _S) -> pa.StructType:
    return pa.struct([(name, kind) for name in names])


_VALUE_FIELDS = [("string_value", _S), ("int_value", _I), ("float_value", _F), ("double_value", _F)]
PARAM_VALUE = pa.struct(_VALUE_FIELDS)
EVENT_PARAM = pa.struct([("key", _S), ("value", PARAM_VALUE)])
USER_PROPERTY = pa.struct(
    [("key", _S), ("value", pa.struct([*_VALUE_FIELDS, ("set_timestamp_micros", _I)]))]
)
PRIVACY_INFO = _struct("analytics_storage", "ads_storage", "uses_transient_token")
USER_LTV = pa.struct([("revenue", _F), ("currency", _S)])
DEVICE = pa.struct(
    [
        (name, _S)
        for name in (
            "category",
            "mobile_brand_name",
            "mobile_model_name",
            "mobile_marketing_name",
            "mobile_os_hardware_model",
            "operating_system",
            "operating_system_version",
            "vendor_id",
            "advertising_id",
            "language",
            "is_limited_ad_tracking",
        )
    ]
    + [
        ("time_zone_offset_seconds", _I),
        ("browser", _S),
        ("browser_version", _S),
        ("web_info", _struct("browser", "browser_version", "hostname")),
    ]
)
GEO = _struct("city", "country", "continent", "region", "sub_continent", "metro")
APP_INFO = _struct("id", "version", "install_store", "firebase_app_id", "install_source")
TRAFFIC_SOURCE = _struct("name", "medium", "source")
EVENT_DIMENSIONS = _struct("hostname")
ECOMMERCE = pa.struct(
    [
        ("total_item_quantity", _I),
        ("purchase_revenue_in_usd", _F),
        ("purchase_revenue", _F),
        ("refund_value_in_usd", _F),
        ("refund_value", _F),
        ("shipping_value_in_usd", _F),
        ("shipping_value", _F),
        ("tax_value_in_usd", _F),
        ("tax_value", _F),
        ("unique_items", _I),
        ("transaction_id", _S),
    ]
)
ITEM = pa.struct(
    [
        (name, _S)
        for name in (
            "item_id",
            "item_name",
            "item_brand",
            "item_variant",
            "item_category",
            "item_category2",
            "item_category3",
            "item_category4",
            "item_category5",
        )
    ]
    + [
        ("price_in_usd", _F),
        ("price", _F),
        ("quantity", _I),
        ("item_revenue_in_usd", _F),
        ("item_revenue", _F),
        ("item_refund_in_usd", _F),
        ("item_refund", _F),
    ]
    + [
        (name, _S)
        for name in (
            "coupon",
            "affiliation",
            "location_id",
            "item_list_id",
            "item_list_name",
            "item_list_index",
            "promotion_id",
            "promotion_name",
            "creative_name",
            "creative_slot",
        )
    ]
    + [("item_params", pa.list_(EVENT_PARAM))]
)
COLLECTED_TRAFFIC_SOURCE = _struct(
    "manual_campaign_id",
    "manual_campaign_name",
    "manual_source",
    "manual_medium",
    "manual_term",
    "manual_content",
    "manual_source_platform",
    "manual_creative_format",
    "manual_marketing_tactic",
    "gclid",
    "dclid",
    "srsltid",
)
MANUAL_CAMPAIGN = _struct(
    "campaign_id",
    "campaign_name",
    "source",
    "medium",
    "term",
    "content",
    "source_platform",
    "creative_format",
    "marketing_tactic",
)
GOOGLE_ADS_CAMPAIGN = _struct(
    "customer_id", "account_name", "campaign_id", "campaign_name", "ad_group_id", "ad_group_name"
)
CROSS_CHANNEL_CAMPAIGN = _struct(
    "campaign_id",
    "campaign_name",
    "source",
    "medium",
    "source_platform",
    "default_channel_group",
    "primary_channel_group",
)
SA360_CAMPAIGN = _struct(
    "campaign_id",
    "campaign_name",
    "source",
    "medium",
    "ad_group_id",
    "ad_group_name",
    "creative_format",
    "engine_account_name",
    "engine_account_type",
    "manager_account_name",
)
CM360_CAMPAIGN = _struct(
    "campaign_id",
    "campaign_name",
    "source",
    "medium",
    "account_id",
    "account_name",
    "advertiser_id",
    "advertiser_name",
    "creative_id",
    "creative_format",
    "creative_name",
    "creative_type",
    "creative_type_id",
    "creative_version",
    "placement_id",
    "placement_cost_structure",
    "placement_name",
    "rendering_id",
    "site_id",
    "site_name",
)
DV360_CAMPAIGN = _struct(
    "campaign_id",
    "campaign_name",
    "source",
    "medium",
    "advertiser_id",
    "advertiser_name",
    "creative_id",
    "creative_format",
    "creative_name",
    "exchange_id",
    "exchange_name",
    "insertion_order_id",
    "insertion_order_name",
    "line_item_id",
    "line_item_name",
    "partner_id",
    "partner_name",
)
SESSION_TRAFFIC_SOURCE_LAST_CLICK = pa.struct(
    [
        ("manual_campaign", MANUAL_CAMPAIGN),
        ("google_ads_campaign", GOOGLE_ADS_CAMPAIGN),
        ("cross_channel_campaign", CROSS_CHANNEL_CAMPAIGN),
        ("sa360_campaign", SA360_CAMPAIGN),
        ("cm360_campaign", CM360_CAMPAIGN),
        ("dv360_campaign", DV360_CAMPAIGN),
    ]
)
PUBLISHER = pa.struct(
    [("ad_revenue_in_usd", _F), ("ad_format", _S), ("ad_source_name", _S), ("ad_unit_id", _S)]
)

EXPORT_SCHEMA = pa.schema(
    [
        ("event_date", _S),
        ("event_timestamp", _I),
        ("event_name", _S),
        ("event_params", pa.list_(EVENT_PARAM)),
        ("event_previous_timestamp", _I),
        ("event_value_in_usd", _F),
        ("event_bundle_sequence_id", _I),
        ("event_server_timestamp_offset", _I),
        ("user_id", _S),
        ("user_pseudo_id", _S),
        ("privacy_info", PRIVACY_INFO),
        ("user_properties", pa.list_(USER_PROPERTY)),
        ("user_first_touch_timestamp", _I),
        ("user_ltv", USER_LTV),
        ("device", DEVICE),
        ("geo", GEO),
        ("app_info", APP_INFO),
        ("traffic_source", TRAFFIC_SOURCE),
        ("stream_id", _S),
        ("platform", _S),
        ("event_dimensions", EVENT_DIMENSIONS),
        ("ecommerce", ECOMMERCE),
        ("items", pa.list_(ITEM)),
        ("collected_traffic_source", COLLECTED_TRAFFIC_SOURCE),
        ("is_active_user", _B),
        ("batch_event_index", _I),
        ("batch_page_id", _I),
        ("batch_ordering_id", _I),
        ("session_traffic_source_last_click", SESSION_TRAFFIC_SOURCE_LAST_CLICK),
        ("publisher", PUBLISHER),
    ]
)


def struct_array(
    type_: pa.StructType, n: int, values: dict[str, pa.Array], mask: pa.Array | None = None
) -> pa.StructArray:
    """Struct array of `type_`; fields missing from `values` are all null."""
    arrays = [
        values[field.name].cast(field.type) if field.name in values else pa.nulls(n, field.type)
        for field in type_
    ]
    return pa.StructArray.from_arrays(arrays, fields=list(type_), mask=mask)
