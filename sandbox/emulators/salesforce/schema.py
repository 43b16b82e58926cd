"""sObject and field metadata inferred from the world's Arrow tables, and describe payloads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from sandbox.world.ids import SF_PREFIX

_PREFIX_OBJECT = {prefix: name for name, prefix in SF_PREFIX.items()}
SYSTEM_FIELDS = frozenset(
    {
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
    }
)
# Standard fields the platform computes (formula or roll-up style): never writable.
_DERIVED = frozenset({"IsWon", "IsClosed", "ForecastCategory", "ExpectedRevenue", "IsConverted"})
_COMPOUND_NAME = frozenset({"Lead", "Contact", "User"})
_PICKLISTS = frozenset(
    {
        "StageName",
        "Status",
        "LeadSource",
        "Industry",
        "Type",
        "Rating",
        "Priority",
        "Origin",
        "ForecastCategoryName",
        "Reason",
        "Department",
    }
)
_CURRENCY = re.compile(r"(Amount|Revenue|Price|Cost|MRR|ARR|Value)(__c)?$")
_EXTERNAL_ID = re.compile(r"(External_?Id|Ext_Id)__c$", re.IGNORECASE)
_SOAP_TYPE = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
}
_LENGTH = {
    "id": 18,
    "reference": 18,
    "string": 255,
    "picklist": 255,
    "email": 80,
    "phone": 40,
    "url": 255,
    "textarea": 32_000,
}
STRING_TYPES = frozenset(
    {"id", "reference", "string", "picklist", "email", "phone", "url", "textarea"}
)
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})


@dataclass(frozen=True)
class FieldSpec:
    """One field as describe reports it."""

    name: str
    type: str
    writable: bool = True
    external_id: bool = False
    reference_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()
    # what an admin set when creating the field (None: the type's default)
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    restricted: bool = False  # a restricted picklist refuses values it does not list
    help_text: str | None = None
    field_label: str | None = None

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def max_length(self) -> int:
        return self.length if self.length is not None else _LENGTH.get(self.type, 0)

    @property
    def number_precision(self) -> int:
        numeric = self.type in NUMBER_TYPES and self.type != "int"
        return self.precision if self.precision is not None else 18 if numeric else 0

    @property
    def number_scale(self) -> int:
        if self.scale is not None:
            return self.scale
        return 2 if self.type in ("currency", "percent") else 0

    @property
    def label(self) -> str:
        return self.field_label or label(self.name)

    def describe(self) -> dict[str, Any]:
        length = self.max_length
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "soapType": _SOAP_TYPE.get(self.type, "xsd:string"),
            "custom": self.custom,
            "nillable": self.type not in ("id", "boolean") and self.name not in SYSTEM_FIELDS,
            "createable": self.writable,
            "updateable": self.writable,
            "externalId": self.external_id,
            "idLookup": self.external_id or self.name == "Id",
            "unique": self.external_id,
            "length": length,
            "byteLength": length * 3,
            "precision": self.number_precision,
            "scale": self.number_scale,
            "digits": 9 if self.type == "int" else 0,
            "referenceTo": list(self.reference_to),
            "relationshipName": _relationship(self.name) if self.reference_to else None,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "value": v}
                for v in self.picklist
            ],
            "calculated": not self.writable and self.name not in SYSTEM_FIELDS,
            "defaultedOnCreate": self.type == "boolean" or self.name in SYSTEM_FIELDS,
            "nameField": self.name == "Name",
            "filterable": self.type != "textarea",
            "sortable": self.type != "textarea",
            "groupable": self.type not in ("textarea", "datetime", "double", "currency"),
            "autoNumber": False,
            "caseSensitive": False,
            "restrictedPicklist": self.restricted,
            "inlineHelpText": self.help_text,
            "extraTypeInfo": "plaintextarea" if self.type == "textarea" else None,
        }


@dataclass
class ObjectSchema:
    """An sObject: its name, key prefix and fields in table order."""

    name: str
    fields: dict[str, FieldSpec]
    lookup: dict[str, str] = field(init=False)  # lower-case name → canonical name

    def __post_init__(self) -> None:
        self.lookup = {name.lower(): name for name in self.fields}

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def key_prefix(self) -> str:
        return SF_PREFIX.get(self.name, "a0Z")

    def resolve(self, name: str) -> FieldSpec | None:
        """The field for a name as written in SOQL or CSV (case-insensitive), or None."""
        canonical = self.lookup.get(name.lower())
        return self.fields[canonical] if canonical else None

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def summary(self, version: str) -> dict[str, Any]:
        """The entry global describe lists for this object."""
        writable = self.name != "OpportunityHistory"
        return {
            "name": self.name,
            "label": label(self.name),
            "labelPlural": label(self.name) + "s",
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "queryable": True,
            "retrieveable": True,
            "searchable": True,
            "createable": writable,
            "updateable": writable,
            "deletable": writable,
            "replicateable": True,
            "urls": self.urls(version),
        }

    def describe(self, version: str) -> dict[str, Any]:
        return {**self.summary(version), "fields": [f.describe() for f in self.fields.values()]}


def label(api_name: str) -> str:
    """Lead_Score__c → 'Lead Score', AnnualRevenue → 'Annual Revenue'."""
    stem = api_name.removesuffix("__c").replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem).strip()


def is_external_id(name: str) -> bool:
    """Whether a text field is an external id by naming convention (…External_Id__c)."""
    return bool(_EXTERNAL_ID.search(name))


def _relationship(name: str) -> str:
    return name[:-3] + "__r" if name.endswith("__c") else name.removesuffix("Id")


def schema_for(
    sobject: str,
    table: pa.Table,
    external_ids: frozenset[str] = frozenset(),
    defined: dict[str, FieldSpec] | None = None,
) -> ObjectSchema:
    """Infer describe metadata from a world table; system fields are added when missing.
    `external_ids` marks text fields as external ids beyond the *External_Id__c naming rule;
    `defined` are fields an admin created with explicit metadata (type, length, picklist)."""
    fields = {name: _field(sobject, name, table.column(name)) for name in table.column_names}
    for name in external_ids & fields.keys():
        fields[name] = FieldSpec(name, "string", writable=True, external_id=True)
    for name, spec in (defined or {}).items():
        if name in fields:
            fields[name] = spec
    fields.setdefault("IsDeleted", FieldSpec("IsDeleted", "boolean", writable=False))
    return ObjectSchema(sobject, fields)


def _field(sobject: str, name: str, column: pa.ChunkedArray) -> FieldSpec:
    kind = column.type
    writable = not (
        name in SYSTEM_FIELDS
        or name in _DERIVED
        or sobject == "OpportunityHistory"
        or (name == "Name" and sobject in _COMPOUND_NAME)
    )
    if name == "Id":
        return FieldSpec(name, "id", writable=False)
    if pa.types.is_timestamp(kind):
        return FieldSpec(name, "datetime", writable)
    if pa.types.is_date(kind):
        return FieldSpec(name, "date", writable)
    if pa.types.is_boolean(kind):
        return FieldSpec(name, "boolean", writable)
    if pa.types.is_integer(kind):
        return FieldSpec(name, "int", writable)
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        number = (
            "currency"
            if _CURRENCY.search(name)
            else "percent"
            if name == "Probability"
            else "double"
        )
        return FieldSpec(name, number, writable)
    return _text_field(name, column, writable)


def _text_field(name: str, column: pa.ChunkedArray, writable: bool) -> FieldSpec:
    values = [v for v in column.drop_null().unique().to_pylist() if v != ""]
    targets = sorted({_PREFIX_OBJECT.get(str(v)[:3], "") for v in values} - {""})
    if targets and all(len(str(v)) == 18 for v in values):
        return FieldSpec(name, "reference", writable, reference_to=tuple(targets))
    if is_external_id(name):
        return FieldSpec(name, "string", writable, external_id=True)
    if "Email" in name:
        return FieldSpec(name, "email", writable)
    if "Phone" in name:
        return FieldSpec(name, "phone", writable)
    if name in _PICKLISTS or (name.endswith("__c") and 0 < len(values) <= 12):
        return FieldSpec(name, "picklist", writable, picklist=tuple(sorted(map(str, values))))
    if name == "Description":
        return FieldSpec(name, "textarea", writable)
    return FieldSpec(name, "string", writable)
