"""Encodes result frames as `GoogleAdsRow` protobufs: selected fields, resource names, summary."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow
from google.protobuf import field_mask_pb2

from sandbox.emulators.google_ads.catalog import Field

_ROW_PB = GoogleAdsRow.pb()

#: How the API names each resource; built from the row's key columns.
_RESOURCE_NAMES: dict[str, Callable[[dict[str, Any]], str]] = {
    "customer": lambda r: f"customers/{r['customer.id']}",
    "campaign": lambda r: f"customers/{r['customer.id']}/campaigns/{r['campaign.id']}",
    "campaign_budget": lambda r: (
        f"customers/{r['customer.id']}/campaignBudgets/{r['campaign_budget.id']}"
    ),
    "ad_group": lambda r: f"customers/{r['customer.id']}/adGroups/{r['ad_group.id']}",
    "ad_group_ad": lambda r: (
        f"customers/{r['customer.id']}/adGroupAds/{r['ad_group.id']}~{r['ad_group_ad.ad.id']}"
    ),
}


def field_mask(select: tuple[Field, ...]) -> field_mask_pb2.FieldMask:
    """The response's field mask: the selected fields, in SELECT order."""
    return field_mask_pb2.FieldMask(paths=[field.name for field in select])


def encode(frame: pd.DataFrame, select: tuple[Field, ...], resource: str) -> list[Any]:
    """One `GoogleAdsRow` protobuf per frame row. Like the API, each row also carries the
    resource name of the FROM resource and of every resource a selected field belongs to."""
    resources = dict.fromkeys([resource, *(field.resource for field in select)])
    named = [name for name in resources if name in _RESOURCE_NAMES]
    rows = []
    for record in frame.to_dict("records"):
        row = _ROW_PB()
        for field in select:
            _set(row, field, record[field.name])
        for name in named:
            getattr(row, name).resource_name = _RESOURCE_NAMES[name](record)
        rows.append(row)
    return rows


def summary(frame: pd.DataFrame, select: tuple[Field, ...]) -> Any:
    """The summary row: selected metrics summed over every matching row."""
    row = _ROW_PB()
    for field in select:
        if field.is_metric:
            _set(row, field, frame[field.name].sum())
    return row


def _set(row: Any, field: Field, value: Any) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return  # absent in the world: leave the field unset, as the API omits it
    *path, leaf = field.name.split(".")
    target = row
    for part in path:
        target = getattr(target, _attribute(target, part))
    if field.kind == "string_list":
        getattr(target, _attribute(target, leaf)).extend(str(v) for v in value)
    else:
        setattr(target, _attribute(target, leaf), _scalar(field, value))


def _attribute(message: Any, name: str) -> str:
    """The protobuf attribute for a GAQL name: proto-plus renames builtins (`type` → `type_`)."""
    return name if name in message.DESCRIPTOR.fields_by_name else f"{name}_"


def _scalar(field: Field, value: Any) -> int | float | str:
    if field.kind == "int":
        return int(value)
    if field.kind == "double":
        return float(value)
    if field.kind == "enum":
        assert field.enum is not None
        return int(field.enum[value])
    return str(value)
