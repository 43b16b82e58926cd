"""The GAQL fields the emulator serves, which FROM resources reach them, and query checking."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Literal

from google.ads.googleads.v26.enums.types.ad_group_ad_status import AdGroupAdStatusEnum
from google.ads.googleads.v26.enums.types.ad_group_status import AdGroupStatusEnum
from google.ads.googleads.v26.enums.types.ad_group_type import AdGroupTypeEnum
from google.ads.googleads.v26.enums.types.ad_type import AdTypeEnum
from google.ads.googleads.v26.enums.types.advertising_channel_type import (
    AdvertisingChannelTypeEnum,
)
from google.ads.googleads.v26.enums.types.bidding_strategy_type import BiddingStrategyTypeEnum
from google.ads.googleads.v26.enums.types.campaign_status import CampaignStatusEnum

from sandbox.emulators.google_ads.gaql import Condition, GaqlError, Query, Value

Kind = Literal["int", "double", "string", "enum", "date", "datetime", "string_list"]


@dataclass(frozen=True)
class Field:
    """One GAQL field; its name is also its attribute path in `GoogleAdsRow`."""

    name: str
    kind: Kind
    enum: type[enum.IntEnum] | None = None

    @property
    def resource(self) -> str:
        return self.name.split(".")[0]

    @property
    def is_metric(self) -> bool:
        return self.resource == "metrics"

    @property
    def is_segment(self) -> bool:
        return self.resource == "segments"


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("customer.id", "int"),
        Field("customer.descriptive_name", "string"),
        Field("customer.currency_code", "string"),
        Field("customer.time_zone", "string"),
        Field("campaign.id", "int"),
        Field("campaign.name", "string"),
        Field("campaign.status", "enum", CampaignStatusEnum.CampaignStatus),
        Field(
            "campaign.advertising_channel_type",
            "enum",
            AdvertisingChannelTypeEnum.AdvertisingChannelType,
        ),
        Field(
            "campaign.bidding_strategy_type", "enum", BiddingStrategyTypeEnum.BiddingStrategyType
        ),
        Field("campaign.start_date_time", "datetime"),
        Field("campaign.end_date_time", "datetime"),
        Field("campaign.campaign_budget", "string"),
        Field("campaign_budget.id", "int"),
        Field("campaign_budget.amount_micros", "int"),
        Field("ad_group.id", "int"),
        Field("ad_group.name", "string"),
        Field("ad_group.status", "enum", AdGroupStatusEnum.AdGroupStatus),
        Field("ad_group.type", "enum", AdGroupTypeEnum.AdGroupType),
        Field("ad_group.campaign", "string"),
        Field("ad_group.cpc_bid_micros", "int"),
        Field("ad_group_ad.ad.id", "int"),
        Field("ad_group_ad.ad.name", "string"),
        Field("ad_group_ad.ad.type", "enum", AdTypeEnum.AdType),
        Field("ad_group_ad.ad.final_urls", "string_list"),
        Field("ad_group_ad.status", "enum", AdGroupAdStatusEnum.AdGroupAdStatus),
        Field("ad_group_ad.ad_group", "string"),
        Field("metrics.cost_micros", "int"),
        Field("metrics.impressions", "int"),
        Field("metrics.clicks", "int"),
        Field("metrics.conversions", "double"),
        Field("metrics.conversions_value", "double"),
        Field("metrics.all_conversions", "double"),
        Field("segments.date", "date"),
    )
}

#: FROM resource → the attribute resources whose fields it can select (metrics/segments: all).
ATTRIBUTED: dict[str, tuple[str, ...]] = {
    "customer": ("customer",),
    "campaign": ("campaign", "campaign_budget", "customer"),
    "ad_group": ("ad_group", "campaign", "customer"),
    "ad_group_ad": ("ad_group_ad", "ad_group", "campaign", "customer"),
}


#: DURING constants counted in days back from today: (oldest, newest), both included.
_DAYS_BACK = {
    "TODAY": (0, 0),
    "YESTERDAY": (1, 1),
    "LAST_7_DAYS": (7, 1),
    "LAST_14_DAYS": (14, 1),
    "LAST_30_DAYS": (30, 1),
}


@dataclass(frozen=True)
class Filter:
    """A checked condition: values are typed (int, float, str; dates as ISO strings)."""

    field: Field
    operator: str
    values: tuple[object, ...]


@dataclass(frozen=True)
class CheckedQuery:
    """A query whose fields exist, are reachable from the FROM resource and whose values type."""

    select: tuple[Field, ...]
    resource: str
    filters: tuple[Filter, ...]
    ordering: tuple[tuple[Field, bool], ...]
    limit: int | None

    @property
    def has_metrics(self) -> bool:
        fields = [*self.select, *(f.field for f in self.filters), *(f for f, _ in self.ordering)]
        return any(f.is_metric or f.is_segment for f in fields)


def check(query: Query, today: dt.date) -> CheckedQuery:
    """Validate `query` as the real API would; DURING ranges resolve against `today`."""
    if query.resource not in ATTRIBUTED:
        raise GaqlError(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in FROM clause: invalid resource name {query.resource!r}.",
        )
    select = tuple(_field(name, query.resource, "SELECT") for name in query.fields)
    filters = tuple(_filter(c, query.resource, today) for c in query.conditions)
    ordering = tuple(
        (_field(term.field, query.resource, "ORDER"), term.descending) for term in query.ordering
    )
    if any(field.kind == "string_list" for field, _ in ordering):
        raise GaqlError(
            "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE", "Error in ORDER BY: repeated fields can't sort."
        )
    checked = CheckedQuery(select, query.resource, filters, ordering, query.limit)
    if FIELDS["segments.date"] in select and not _has_finite_date_range(filters):
        raise GaqlError(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Filtering on a finite date range is required when segments.date is selected.",
        )
    return checked


def _field(name: str, resource: str, clause: str) -> Field:
    field = FIELDS.get(name)
    if field is None:
        raise GaqlError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.")
    if not (field.is_metric or field.is_segment or field.resource in ATTRIBUTED[resource]):
        code = {
            "SELECT": "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
            "WHERE": "PROHIBITED_RESOURCE_TYPE_IN_WHERE_CLAUSE",
            "ORDER": "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE",
        }[clause]
        raise GaqlError(
            code, f"Cannot select or filter on '{name}' when the FROM resource is '{resource}'."
        )
    return field


def _filter(condition: Condition, resource: str, today: dt.date) -> Filter:
    field = _field(condition.field, resource, "WHERE")
    if condition.operator == "DURING":
        if field.kind != "date":
            raise GaqlError("OPERATOR_FIELD_MISMATCH", f"DURING can't filter {field.name}.")
        return Filter(field, "BETWEEN", _during(condition.values[0], today))
    if field.kind == "string_list":
        raise GaqlError(
            "PROHIBITED_FIELD_IN_WHERE_CLAUSE", f"Field '{field.name}' can't be filtered on."
        )
    values = tuple(_typed(field, value) for value in condition.values)
    return Filter(field, condition.operator, values)


def _typed(field: Field, value: Value) -> object:
    """The Python value for comparing `field` to a literal, or the API's error for a bad one."""
    if field.kind == "date":
        return _date(value)
    if field.kind in ("int", "double"):
        try:
            return int(value.text) if field.kind == "int" else float(value.text)
        except ValueError:
            raise GaqlError(
                "BAD_NUMBER", f"Invalid number {value.text!r} for {field.name}."
            ) from None
    if field.kind == "enum":
        assert field.enum is not None
        if value.text not in field.enum.__members__:
            raise GaqlError(
                "BAD_ENUM_CONSTANT", f"Invalid enum value {value.text!r} for {field.name}."
            )
        return value.text
    if value.kind != "string":
        raise GaqlError("BAD_VALUE", f"Expected a quoted string for {field.name}.")
    return value.text


def _date(value: Value) -> str:
    try:
        if value.kind != "string" or len(value.text) != 10:
            raise ValueError(value.text)
        return dt.date.fromisoformat(value.text).isoformat()
    except ValueError:
        raise GaqlError(
            "INVALID_DATE_FORMAT", f"Invalid date {value.text!r}: use 'YYYY-MM-DD'."
        ) from None


def _during(value: Value, today: dt.date) -> tuple[str, str]:
    """DURING constants as inclusive (first, last) ISO dates relative to the sandbox clock."""
    if value.text in _DAYS_BACK:
        oldest, newest = _DAYS_BACK[value.text]
        first, last = today - dt.timedelta(oldest), today - dt.timedelta(newest)
        return first.isoformat(), last.isoformat()
    month_start = today.replace(day=1)
    if value.text == "THIS_MONTH":
        return month_start.isoformat(), today.isoformat()
    if value.text == "LAST_MONTH":
        month_end = month_start - dt.timedelta(1)
        return month_end.replace(day=1).isoformat(), month_end.isoformat()
    raise GaqlError(
        "INVALID_VALUE_WITH_DURING_OPERATOR", f"Invalid value {value.text!r} for DURING."
    )


def _has_finite_date_range(filters: tuple[Filter, ...]) -> bool:
    on_date = [f.operator for f in filters if f.field.name == "segments.date"]
    bounded = {"=", "IN", "BETWEEN"}
    return bool(bounded & set(on_date)) or (
        bool({">", ">="} & set(on_date)) and bool({"<", "<="} & set(on_date))
    )
