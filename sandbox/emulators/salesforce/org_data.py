"""The org's data from the world: table → sObject names, admin-added fields, schema drift."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from .schema import is_external_id

#: World table → sObject API name.
SOBJECTS = {
    "sf_user": "User",
    "sf_account": "Account",
    "sf_contact": "Contact",
    "sf_lead": "Lead",
    "sf_opportunity": "Opportunity",
    "sf_opportunity_history": "OpportunityHistory",
    "sf_campaign": "Campaign",
    "sf_campaign_member": "CampaignMember",
    "sf_case": "Case",
    "sf_subscription": "Subscription__c",
    "sf_product_usage": "Product_Usage__c",
}
#: Field types an admin can add on top of the world (`extra_fields`), as Arrow types.
FIELD_TYPES = {
    "double": pa.float64(),
    "int": pa.int64(),
    "boolean": pa.bool_(),
    "string": pa.string(),
    "external_id": pa.string(),
    "date": pa.date32(),
    "datetime": pa.timestamp("ms", tz="UTC"),
}
#: Fields the activation layer writes back (lead and churn scores), empty until written.
WRITEBACK_FIELDS: dict[str, dict[str, str]] = {
    "Lead": {
        "Lead_Score__c": "double",
        "Lead_Score_Date__c": "datetime",
        "Lead_Score_Tier__c": "string",
        "Lead_Score_Reasons__c": "string",
        "Lead_Score_Model_Version__c": "string",
    },
    "Account": {
        "Churn_Risk__c": "double",
        "Churn_Risk_Date__c": "datetime",
        "Churn_Risk_Level__c": "string",
        "Churn_Reasons__c": "string",
        "Churn_Model_Version__c": "string",
        "Predicted_LTV__c": "double",
        "LTV_Model_Version__c": "string",
    },
}
DRIFT_SUFFIX = "_v2__c"


def org_tables(
    world_tables: Mapping[str, pa.Table],
    extra_fields: Mapping[str, Mapping[str, str]],
    drift: bool,
) -> tuple[dict[str, pa.Table], dict[str, frozenset[str]]]:
    """sObject → table, and sObject → external-id fields declared through `extra_fields`.
    Drift only renames fields of the world, never the added ones."""
    tables: dict[str, pa.Table] = {}
    external: dict[str, frozenset[str]] = {}
    for table_name, sobject in SOBJECTS.items():
        if table_name not in world_tables:
            continue
        table = world_tables[table_name]
        table = drifted(table) if drift else table
        fields = extra_fields.get(sobject, {})
        for name, kind in fields.items():
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, FIELD_TYPES[kind]))
        external[sobject] = frozenset(n for n, kind in fields.items() if kind == "external_id")
        tables[sobject] = table
    return tables, external


def drift_target(table: pa.Table) -> str | None:
    """The custom field the `schema_drift` fault renames: the object's first custom field by
    name that is not an external id, or None if it has none."""
    candidates = sorted(
        name for name in table.column_names if name.endswith("__c") and not is_external_id(name)
    )
    return candidates[0] if candidates else None


def drifted(table: pa.Table) -> pa.Table:
    """The table after an admin renamed one custom field (e.g. Plan__c → Plan_v2__c)."""
    target = drift_target(table)
    if target is None:
        return table
    renamed = target.removesuffix("__c") + DRIFT_SUFFIX
    return table.rename_columns([renamed if n == target else n for n in table.column_names])
