"""Raw table contracts of the Salesforce objects, and API records → Arrow by describe types.

Each object's declared fields are the columns staging models rely on. What the org returns is
driven by describe: a field the org no longer has simply arrives as null, a field it added (or
renamed) lands in `_mdp_extra` as JSON, and a declared field whose describe type changed fails
the batch with the field named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.errors import SchemaContractError
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

# The declared columns of each raw table, as `Field:describe type`; order is column order.
_SYSTEM = "CreatedDate:datetime LastModifiedDate:datetime SystemModstamp:datetime IsDeleted:boolean"
_DECLARED: dict[str, str] = {
    "Lead": "Id:id FirstName:string LastName:string Email:email Company:string Title:string "
    "Industry:picklist NumberOfEmployees:int Country:string LeadSource:picklist "
    "Lead_Form__c:picklist Status:picklist IsConverted:boolean ConvertedDate:date "
    "ConvertedAccountId:reference ConvertedContactId:reference "
    "ConvertedOpportunityId:reference OwnerId:reference CreatedById:reference "
    "GA_Client_ID__c:string UTM_Source__c:picklist UTM_Medium__c:picklist "
    "UTM_Campaign__c:picklist UTM_Content__c:picklist UTM_Term__c:picklist GCLID__c:picklist "
    "FBCLID__c:picklist MQL_Date__c:date SQL_Date__c:date Lead_Score__c:double "
    f"Lead_Score_Date__c:datetime {_SYSTEM}",
    "Contact": "Id:id AccountId:reference FirstName:string LastName:string Email:email "
    f"Title:string LeadSource:picklist OwnerId:reference {_SYSTEM}",
    "Account": "Id:id Name:string Type:picklist Industry:picklist NumberOfEmployees:int "
    "AnnualRevenue:currency BillingCountry:string Website:string OwnerId:reference "
    "Customer_Since__c:date Plan__c:picklist Churn_Risk_3M__c:double "
    f"Churn_Risk_Date_3M__c:datetime {_SYSTEM}",
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

    @property
    def table(self) -> str:
        return self.schema.table


def _stream(sobject: str) -> ObjectStream:
    pairs = [item.split(":") for item in _DECLARED[sobject].split()]
    declared = tuple(Field(name, arrow_type(kind), name in REQUIRED) for name, kind in pairs)
    return ObjectStream(sobject, StreamSchema(table_name(sobject), ("Id",), declared))


STREAMS: dict[str, ObjectStream] = {sobject: _stream(sobject) for sobject in OBJECTS}


def queryable_fields(describe: Mapping[str, Any]) -> dict[str, str]:
    """Field name → describe type of every field worth selecting (compound fields skipped)."""
    return {f["name"]: f["type"] for f in describe["fields"] if f["type"] not in SKIPPED_TYPES}


def type_changes(schema: StreamSchema, fields: Mapping[str, str]) -> list[str]:
    """Declared fields whose describe type no longer maps to their declared Arrow type."""
    changes = []
    for spec in schema.fields:
        kind = fields.get(spec.name)
        if kind is not None and arrow_type(kind) != spec.type:
            changes.append(
                f"{schema.table}: field {spec.name!r} changed type: expected {spec.type}, "
                f"describe now says {kind!r} ({arrow_type(kind)})"
            )
    return changes


def to_arrow(
    records: Sequence[Mapping[str, Any]], fields: Mapping[str, str], table: str
) -> pa.Table:
    """REST records as a table typed by describe (datetimes and dates arrive as ISO text)."""
    columns = {}
    for name, kind in fields.items():
        values = [record.get(name) for record in records]
        columns[name] = _column(values, arrow_type(kind), name, table)
    if "IsDeleted" not in columns:  # objects that cannot be soft-deleted (e.g. User in real orgs)
        columns["IsDeleted"] = pa.repeat(pa.scalar(False, pa.bool_()), len(records))
    return pa.table(columns)


def _column(values: list[Any], target: pa.DataType, name: str, table: str) -> pa.Array:
    try:
        if pa.types.is_timestamp(target) or pa.types.is_date(target):
            return pc.cast(pa.array(values, pa.string()), target)
        if pa.types.is_integer(target):
            # real orgs send custom integers as 12.0: a float that is not whole fails the cast
            return pc.cast(pa.array(values, pa.float64()), target, safe=True)
        return pa.array(values, target)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise SchemaContractError(
            f"{table}: field {name!r} has values that are not {target} as describe declares "
            f"({str(error).splitlines()[0]})"
        ) from None
