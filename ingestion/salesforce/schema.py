"""Raw table contracts of the Salesforce objects, and API records → Arrow as the API sent them.

Each object's declared fields are the columns staging models rely on. Records are kept as the API
sent them (numbers and booleans as JSON carried them, everything else as text); the loader casts
them to the declared types record by record (`StreamSchema.conform_records`), so a value that
does not fit fails its own record, never the batch. How describe is compared with the declared
fields (renames, removals, retypes, new fields) is in drift.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ingestion.common.schema import Field, StreamSchema

from .objects import OBJECTS, table_name

TIMESTAMP = pa.timestamp("us", tz="UTC")
#: describe `type` → Arrow type; every other queryable type is text.
ARROW_TYPES: dict[str, pa.DataType] = {
    "boolean": pa.bool_(),
    "int": pa.int64(),
    "double": pa.float64(),
    "currency": pa.float64(),
    "percent": pa.float64(),
    "date": pa.date32(),
    "datetime": TIMESTAMP,
}
#: Compound fields (their components are queried on their own) and blobs are not replicated.
SKIPPED_TYPES = frozenset({"address", "location", "base64"})
REQUIRED = frozenset({"Id", "SystemModstamp", "IsDeleted"})
#: describe types the REST API sends as JSON numbers.
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})
#: Added by the connector when describe lacks it (objects that cannot be soft-deleted).
SYNTHESIZED = frozenset({"IsDeleted"})

# The declared columns of each raw table, as `Field:describe type`; order is column order. A `?`
# marks a field an org may lack without loss: mdp's own score write-back fields, which an admin
# creates when activation is set up (activation/crm/FIELDS.md); absent, they load as null.
_SYSTEM = "CreatedDate:datetime LastModifiedDate:datetime SystemModstamp:datetime IsDeleted:boolean"
_DECLARED: dict[str, str] = {
    "Lead": "Id:id FirstName:string LastName:string Email:email Company:string Title:string "
    "Industry:picklist NumberOfEmployees:int Country:string LeadSource:picklist "
    "Lead_Form__c:picklist Status:picklist IsConverted:boolean ConvertedDate:date "
    "ConvertedAccountId:reference ConvertedContactId:reference "
    "ConvertedOpportunityId:reference OwnerId:reference CreatedById:reference "
    "GA_Client_ID__c:string UTM_Source__c:picklist UTM_Medium__c:picklist "
    "UTM_Campaign__c:picklist UTM_Content__c:picklist UTM_Term__c:picklist GCLID__c:picklist "
    "FBCLID__c:picklist MQL_Date__c:date SQL_Date__c:date Lead_Score__c:double? "
    f"Lead_Score_Date__c:datetime? {_SYSTEM}",
    "Contact": "Id:id AccountId:reference FirstName:string LastName:string Email:email "
    f"Title:string LeadSource:picklist OwnerId:reference {_SYSTEM}",
    "Account": "Id:id Name:string Type:picklist Industry:picklist NumberOfEmployees:int "
    "AnnualRevenue:currency BillingCountry:string Website:string OwnerId:reference "
    "Customer_Since__c:date Plan__c:picklist Churn_Risk_3M__c:double? "
    f"Churn_Risk_Date_3M__c:datetime? {_SYSTEM}",
    "Opportunity": "Id:id AccountId:reference Name:string Type:picklist StageName:picklist "
    "Amount:currency Probability:percent CloseDate:date IsClosed:boolean IsWon:boolean "
    "LeadSource:picklist CampaignId:reference OwnerId:reference MRR__c:currency "
    f"{_SYSTEM}",
    "OpportunityHistory": "Id:id OpportunityId:reference StageName:picklist Amount:currency "
    "CloseDate:date Probability:percent CreatedById:reference CreatedDate:datetime "
    "SystemModstamp:datetime IsDeleted:boolean",
    "Campaign": "Id:id Name:string Type:picklist Status:picklist StartDate:date EndDate:date "
    "IsActive:boolean BudgetedCost:currency ActualCost:currency OwnerId:reference "
    f"{_SYSTEM}",
    "CampaignMember": "Id:id CampaignId:reference LeadId:reference ContactId:reference "
    "Status:picklist HasResponded:boolean FirstRespondedDate:date CreatedDate:datetime "
    "SystemModstamp:datetime IsDeleted:boolean",
    "Case": "Id:id CaseNumber:string AccountId:reference ContactId:reference Subject:string "
    "Type:picklist Status:picklist Priority:picklist Origin:picklist IsClosed:boolean "
    f"OwnerId:reference ClosedDate:datetime {_SYSTEM}",
    "User": "Id:id FirstName:string LastName:string Name:string Email:email Username:string "
    f"Title:string Department:picklist IsActive:boolean {_SYSTEM}",
    "Subscription__c": "Id:id Name:string Account__c:reference Plan__c:picklist Seats__c:int "
    "MRR__c:currency Start_Date__c:date End_Date__c:date Status__c:picklist "
    f"{_SYSTEM}",
    "Product_Usage__c": "Id:id Name:string Account__c:reference Month__c:date "
    f"Active_Users__c:int Events__c:int Seats__c:int {_SYSTEM}",
}


def arrow_type(describe_type: str) -> pa.DataType:
    """The Arrow type a describe field type is stored as."""
    return ARROW_TYPES.get(describe_type, pa.string())


@dataclass(frozen=True)
class ObjectStream:
    """One replicated object: its API name and the contract of its raw table."""

    sobject: str
    schema: StreamSchema
    #: Declared fields an org may lack (loaded as null then); every other one must be there.
    optional: frozenset[str] = frozenset()

    @property
    def table(self) -> str:
        return self.schema.table


_STAMPS = ("CreatedDate", "LastModifiedDate", "SystemModstamp")
#: Per object, the declared date/time fields of things that happened (never plans such as
#: CloseDate, StartDate or End_Date__c, which may lie ahead): each must lie between 2000-01-01
#: and tomorrow, or its record is quarantined.
EVENT_TIMES: dict[str, tuple[str, ...]] = {
    "Lead": (*_STAMPS, "ConvertedDate", "MQL_Date__c", "SQL_Date__c", "Lead_Score_Date__c"),
    "Contact": _STAMPS,
    "Account": (*_STAMPS, "Churn_Risk_Date_3M__c"),
    "Opportunity": _STAMPS,
    "OpportunityHistory": ("CreatedDate", "SystemModstamp"),
    "Campaign": _STAMPS,
    "CampaignMember": ("FirstRespondedDate", "CreatedDate", "SystemModstamp"),
    "Case": (*_STAMPS, "ClosedDate"),
    "User": _STAMPS,
    "Subscription__c": _STAMPS,
    "Product_Usage__c": ("Month__c", *_STAMPS),
}


def _stream(sobject: str) -> ObjectStream:
    pairs = [item.split(":") for item in _DECLARED[sobject].split()]
    declared = tuple(
        Field(name, arrow_type(kind.rstrip("?")), name in REQUIRED) for name, kind in pairs
    )
    optional = frozenset(name for name, kind in pairs if kind.endswith("?"))
    schema = StreamSchema(table_name(sobject), ("Id",), declared, event_times=EVENT_TIMES[sobject])
    return ObjectStream(sobject, schema, optional)


STREAMS: dict[str, ObjectStream] = {sobject: _stream(sobject) for sobject in OBJECTS}


def queryable_fields(describe: Mapping[str, Any]) -> dict[str, str]:
    """Field name → describe type of every field worth selecting (compound fields skipped)."""
    return {f["name"]: f["type"] for f in describe["fields"] if f["type"] not in SKIPPED_TYPES}


def to_arrow(records: Sequence[Mapping[str, Any]], fields: Mapping[str, str]) -> pa.Table:
    """REST records as the API sent them, one column per queried field: numbers and booleans as
    JSON carried them, all else as text (dates and times too). A column whose values do not all
    have their describe type's JSON type (text in a number field) is kept as text."""
    columns = {
        name: _as_sent([record.get(name) for record in records], kind)
        for name, kind in fields.items()
    }
    if "IsDeleted" not in columns:  # objects that cannot be soft-deleted (e.g. User in real orgs)
        columns["IsDeleted"] = pa.repeat(pa.scalar(False, pa.bool_()), len(records))
    return pa.table(columns)


def _as_sent(values: list[Any], kind: str) -> pa.Array:
    try:
        if kind in NUMBER_TYPES:
            # int64 when every value came whole (12), else double (12.5, and 12.0 as real orgs
            # send custom integers); the declared type is applied later, record by record
            array = pa.array(values)
            if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
                return array
            if pa.types.is_null(array.type):
                return pa.array(values, pa.float64())
        else:
            return pa.array(values, pa.bool_() if kind == "boolean" else pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return pa.array(
        [v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string()
    )
