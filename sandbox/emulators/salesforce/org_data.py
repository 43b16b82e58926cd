"""The org's data from the world: table → sObject names, admin-added fields, schema changes an
admin makes (a custom field renamed, deleted or retyped) and implausible values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from .schema import FieldSpec, is_external_id
from .values import ServedNaN

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


def _number(name: str, label: str, help_text: str, kind: str = "double") -> FieldSpec:
    precision, scale = (16, 0) if kind == "currency" else (3, 0)
    return FieldSpec(
        name, kind, precision=precision, scale=scale, field_label=label, help_text=help_text
    )


def _picklist(name: str, label: str, values: tuple[str, ...], help_text: str) -> FieldSpec:
    return FieldSpec(
        name, "picklist", picklist=values, restricted=True, field_label=label, help_text=help_text
    )


def _text(name: str, label: str, help_text: str, kind: str = "string") -> FieldSpec:
    length = 1000 if kind == "textarea" else 80
    return FieldSpec(name, kind, length=length, field_label=label, help_text=help_text)


def _when(name: str, label: str, what: str) -> FieldSpec:
    return FieldSpec(name, "datetime", field_label=label, help_text=f"When mdp computed {what}.")


def _churn_fields(horizon: str, title: str) -> tuple[FieldSpec, ...]:
    return (
        _number(
            f"Churn_Risk_{horizon}__c",
            f"Churn Risk ({title})",
            f"Chance in percent (0-100) that this customer cancels in the {title}, from mdp's "
            "churn model.",
        ),
        _picklist(
            f"Churn_Risk_Level_{horizon}__c",
            f"Churn Risk Level ({title})",
            ("High", "Medium", "Low"),
            "High, Medium or Low churn risk.",
        ),
        _text(
            f"Churn_Risk_Reasons_{horizon}__c",
            f"Churn Risk Drivers ({title})",
            "The three facts that moved the risk most, one per line.",
            "textarea",
        ),
        _when(f"Churn_Risk_Date_{horizon}__c", f"Churn Risk Scored At ({title})", "the risk"),
        _text(
            f"Churn_Risk_Model_Version_{horizon}__c",
            f"Churn Model ({title})",
            "The model and version that computed the risk.",
        ),
    )


#: Fields the org's admin created for the activation layer's write-back (the field sheet,
#: activation/crm/FIELDS.md), empty until written; described as Salesforce describes them.
WRITEBACK_FIELDS: dict[str, dict[str, FieldSpec]] = {
    "Lead": {
        f.name: f
        for f in (
            _number(
                "Lead_Score__c",
                "Lead Score",
                "Chance in percent (0-100) that this lead becomes a closed-won deal within 90 "
                "days of its creation, from mdp's lead scoring model.",
            ),
            _picklist(
                "Lead_Score_Tier__c",
                "Lead Tier",
                ("Hot", "Warm", "Cold"),
                "Hot, Warm or Cold: call Hot leads first.",
            ),
            _text(
                "Lead_Score_Reasons__c",
                "Why This Score",
                "The three facts that moved the score most, one per line.",
                "textarea",
            ),
            _when("Lead_Score_Date__c", "Lead Scored At", "the score"),
            _text(
                "Lead_Score_Model_Version__c",
                "Lead Score Model",
                "The model and version that computed the score.",
            ),
        )
    },
    "Account": {
        f.name: f
        for f in (
            *_churn_fields("1M", "next month"),
            *_churn_fields("3M", "next 3 months"),
            _number(
                "Predicted_LTV__c",
                "Predicted 12-Month Value",
                "Expected value of this customer over the next 12 months, in the org "
                "currency, rounded.",
                "currency",
            ),
            _when("Predicted_LTV_Date__c", "Predicted Value Computed At", "the value"),
            _text("LTV_Model_Version__c", "Value Model", "The model that computed the value."),
        )
    },
}
#: Arrow type of an empty column for an admin-defined field.
_ARROW_TYPES = {
    "double": pa.float64(),
    "currency": pa.float64(),
    "percent": pa.float64(),
    "int": pa.int64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("ms", tz="UTC"),
    "date": pa.date32(),
}
DRIFT_SUFFIX = "_v2__c"
#: Data faults that change the org's schema the way an admin does in Setup.
SCHEMA_DRIFT, SCHEMA_DROP, SCHEMA_RETYPE = "schema_drift", "schema_drop", "schema_retype"
SCHEMA_FAULTS = (SCHEMA_DRIFT, SCHEMA_DROP, SCHEMA_RETYPE)
#: What `schema_retype` writes into every RETYPE_EVERY-th value of the retyped field (by table
#: order, starting with the first): text a user typed once the field became Text.
RETYPE_TEXT, RETYPE_EVERY = "n/a", 200
#: The `implausible_values` fault: on the record with the smallest Id of each object, this field
#: holds this value (a NaN is sent as a bare JSON `NaN`, as a broken proxy or formula would).
IMPLAUSIBLE_VALUES = "implausible_values"
IMPLAUSIBLE: dict[str, tuple[str, Any]] = {
    "Opportunity": ("Amount", -1e12),
    "Lead": ("CreatedDate", dt.datetime(1900, 1, 1, tzinfo=dt.UTC)),
    "Case": ("CreatedDate", dt.datetime(2099, 1, 1, tzinfo=dt.UTC)),
    "Subscription__c": ("MRR__c", ServedNaN("nan")),
    "Product_Usage__c": ("Active_Users__c", -3),
}


def org_tables(
    world_tables: Mapping[str, pa.Table],
    extra_fields: Mapping[str, Mapping[str, str | FieldSpec]],
    schema_faults: frozenset[str] = frozenset(),
) -> tuple[dict[str, pa.Table], dict[str, frozenset[str]], dict[str, dict[str, FieldSpec]]]:
    """sObject → table, sObject → external-id fields declared through `extra_fields`, and
    sObject → the fields given with full metadata (a FieldSpec instead of a kind). Schema
    faults (SCHEMA_FAULTS) only change fields of the world, never the added ones."""
    tables: dict[str, pa.Table] = {}
    external: dict[str, frozenset[str]] = {}
    defined: dict[str, dict[str, FieldSpec]] = {}
    for table_name, sobject in SOBJECTS.items():
        if table_name not in world_tables:
            continue
        table, changed = _changed_schema(world_tables[table_name], schema_faults)
        fields = extra_fields.get(sobject, {})
        for name, kind in fields.items():
            arrow = (
                _ARROW_TYPES.get(kind.type, pa.string())
                if isinstance(kind, FieldSpec)
                else FIELD_TYPES[kind]
            )
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, arrow))
        external[sobject] = frozenset(n for n, kind in fields.items() if kind == "external_id")
        defined[sobject] = {
            **changed,
            **{n: k for n, k in fields.items() if isinstance(k, FieldSpec)},
        }
        tables[sobject] = table
    return tables, external, defined


def _changed_schema(
    table: pa.Table, faults: frozenset[str]
) -> tuple[pa.Table, dict[str, FieldSpec]]:
    """The world table after the switched-on schema faults, and the metadata of changed fields."""
    changed: dict[str, FieldSpec] = {}
    if SCHEMA_RETYPE in faults:
        table, spec = retyped(table)
        changed.update({spec.name: spec} if spec else {})
    if SCHEMA_DRIFT in faults:
        table = drifted(table)
    if SCHEMA_DROP in faults:
        target = drift_target(table)
        table = table.drop_columns([target]) if target else table
    return table, changed


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


def retype_target(table: pa.Table) -> str | None:
    """The custom field `schema_retype` changes: the object's first numeric custom field by
    name, or None if it has none."""
    numbers = [
        f.name
        for f in table.schema
        if f.name.endswith("__c") and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
    ]
    return min(numbers) if numbers else None


def retyped(table: pa.Table) -> tuple[pa.Table, FieldSpec | None]:
    """The table after an admin changed a Number/Currency field to Text(255): every value is
    kept as its text ("1200.5"), and users then typed RETYPE_TEXT into some of them."""
    target = retype_target(table)
    if target is None:
        return table, None
    values = [
        None if v is None else RETYPE_TEXT if i % RETYPE_EVERY == 0 else str(v)
        for i, v in enumerate(table[target].to_pylist())
    ]
    position = table.column_names.index(target)
    table = table.set_column(position, target, pa.array(values, pa.string()))
    return table, FieldSpec(target, "string", length=255)


def plant_implausible(rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Write IMPLAUSIBLE's values into the org's rows (sObject → rows); sObject → the Id of the
    record that now holds one."""
    planted = {}
    for sobject, (name, value) in IMPLAUSIBLE.items():
        records = rows.get(sobject)
        if not records:
            continue
        record = min(records, key=lambda r: str(r["Id"]))
        record[name] = value
        planted[sobject] = str(record["Id"])
    return planted
