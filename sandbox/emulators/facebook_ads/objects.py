"""Campaigns, ad sets and ads: the account edges and single-object reads, with Graph's fields."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sandbox.emulators.facebook_ads import errors, filtering
from sandbox.emulators.facebook_ads.params import Params, json_value, string_list
from sandbox.emulators.facebook_ads.store import MetaStore, Record, graph_time

_COMMON = ("id", "account_id", "name", "status", "configured_status", "effective_status")
FIELDS: dict[str, tuple[str, ...]] = {
    "Campaign": (
        *_COMMON,
        "objective",
        "buying_type",
        "daily_budget",
        "created_time",
        "start_time",
        "stop_time",
        "updated_time",
    ),
    "AdSet": (
        *_COMMON,
        "campaign_id",
        "daily_budget",
        "optimization_goal",
        "billing_event",
        "created_time",
        "updated_time",
    ),
    "Ad": (*_COMMON, "campaign_id", "adset_id", "created_time", "updated_time"),
}
EDGE_TYPES = {"campaigns": "Campaign", "adsets": "AdSet", "ads": "Ad"}
EFFECTIVE_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "DELETED",
    "ARCHIVED",
    "IN_PROCESS",
    "WITH_ISSUES",
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
)
#: Graph leaves archived and deleted objects out of edge listings unless asked for them.
_DEFAULT_STATUSES = [s for s in EFFECTIVE_STATUSES if s not in ("ARCHIVED", "DELETED")]
_FILTER_COLUMNS = {
    "id": "id",
    "name": "name",
    "effective_status": "effective_status",
    "configured_status": "configured_status",
    "objective": "objective",
    "campaign.id": "campaign_id",
    "campaign_id": "campaign_id",
    "adset.id": "adset_id",
    "adset_id": "adset_id",
    "updated_time": "_updated_epoch",
}


def graph_values(record: Record, account_id: str) -> dict[str, Any]:
    """A world record as Graph renders it: strings, +0000 timestamps, nulls left out."""
    values: dict[str, Any] = {"account_id": account_id}
    for key, value in record.items():
        if value is None:
            continue
        if key.endswith("_time"):
            values[key] = graph_time(value)
        elif key == "daily_budget":
            values[key] = str(int(value))
        else:
            values[key] = str(value)
    values["configured_status"] = values["status"]
    values["effective_status"] = values["status"]
    values["buying_type"] = "AUCTION"
    return values


def project(values: dict[str, Any], fields: list[str], node_type: str) -> dict[str, Any]:
    """The requested fields (Graph always adds id); unknown fields are a code-100 error."""
    for name in fields:
        if name not in FIELDS[node_type]:
            raise errors.nonexisting_field(name, node_type)
    return {name: values[name] for name in ["id", *fields] if name in values}


def records_for(store: MetaStore, node_type: str) -> list[Record]:
    return {"Campaign": store.campaigns, "AdSet": store.adsets, "Ad": store.ads}[node_type]


def list_edge(store: MetaStore, account_id: str, edge: str, query: Params) -> list[dict[str, Any]]:
    """All objects of an account edge passing `effective_status` and `filtering`, projected."""
    node_type = EDGE_TYPES[edge]
    fields = string_list(query, "fields")
    rows = [
        graph_values(record, account_id)
        for record in records_for(store, node_type)
        if str(record.get("account_id", account_id)) == account_id
    ]
    frame = pd.DataFrame(rows, columns=sorted({k for row in rows for k in row} | {"id"}))
    updated = pd.to_datetime(frame["updated_time"], utc=True)
    frame["_updated_epoch"] = (updated - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    rules = json_value(query, "filtering")
    statuses = string_list(query, "effective_status") or _default_statuses(rules)
    for status in statuses:
        if status not in EFFECTIVE_STATUSES:
            raise errors.invalid_enum("effective_status[0]", EFFECTIVE_STATUSES)
    frame = frame.loc[frame["effective_status"].isin(statuses)]
    frame = filtering.apply(frame, rules, _FILTER_COLUMNS)
    return [project(rows[i], fields, node_type) for i in frame.index]


def _default_statuses(rules: Any) -> list[str]:
    """Without a status filter Graph hides archived and deleted objects."""
    if isinstance(rules, list) and any(
        isinstance(rule, dict) and rule.get("field") == "effective_status" for rule in rules
    ):
        return list(EFFECTIVE_STATUSES)
    return _DEFAULT_STATUSES
