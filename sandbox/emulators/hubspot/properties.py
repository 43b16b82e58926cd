"""HubSpot property definitions (the portal's schema) and validation of written values."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

PROPERTY_TYPES = {"string", "number", "date", "datetime", "enumeration", "bool"}
FIELD_TYPES = {
    "textarea",
    "text",
    "date",
    "file",
    "number",
    "select",
    "radio",
    "checkbox",
    "booleancheckbox",
    "calculation_equation",
}
LIFECYCLE_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
LEAD_STATUSES = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
#: When the portal's built-in properties were "created" (what the API reports for them).
PORTAL_CREATED = dt.datetime(2019, 8, 6, 2, 43, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PropertyDef:
    """One property of an object type, as `GET /crm/v3/properties/{type}` describes it."""

    name: str
    label: str
    type: str = "string"
    field_type: str = "text"
    group_name: str = "contactinformation"
    options: tuple[str, ...] = ()
    has_unique_value: bool = False
    read_only: bool = False
    hubspot_defined: bool = True
    description: str = ""
    created_at: dt.datetime = PORTAL_CREATED
    show_currency_symbol: bool | None = None  # number properties: show the portal currency

    def to_json(self) -> dict[str, Any]:
        stamp = iso(self.created_at)
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": self.group_name,
            "description": self.description,
            "options": [
                {"label": o, "value": o, "displayOrder": i, "hidden": False}
                for i, o in enumerate(self.options)
            ],
            "displayOrder": -1,
            "calculated": False,
            "externalOptions": False,
            "hasUniqueValue": self.has_unique_value,
            "hidden": False,
            "hubspotDefined": self.hubspot_defined,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
            "formField": not self.read_only,
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
            **(
                {"showCurrencySymbol": self.show_currency_symbol}
                if self.show_currency_symbol is not None
                else {}
            ),
        }


def iso(moment: dt.datetime) -> str:
    """HubSpot's timestamp format: UTC, milliseconds, `Z`."""
    return (
        moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}Z"
    )


def _system(name: str, label: str, kind: str, group: str) -> PropertyDef:
    field_type = "number" if kind == "number" else "text"
    return PropertyDef(name, label, kind, field_type, group, read_only=True)


def _enum(name: str, label: str, options: tuple[str, ...], group: str) -> PropertyDef:
    return PropertyDef(name, label, "enumeration", "radio", group, options=options)


_CONTACT = "contactinformation"
_COMPANY = "companyinformation"
CONTACT_PROPERTIES = (
    PropertyDef("email", "Email", group_name=_CONTACT),
    PropertyDef("firstname", "First Name", group_name=_CONTACT),
    PropertyDef("lastname", "Last Name", group_name=_CONTACT),
    PropertyDef("company", "Company Name", group_name=_CONTACT),
    PropertyDef("jobtitle", "Job Title", group_name=_CONTACT),
    PropertyDef("phone", "Phone Number", group_name=_CONTACT),
    PropertyDef("country", "Country/Region", group_name=_CONTACT),
    _enum("lifecyclestage", "Lifecycle Stage", LIFECYCLE_STAGES, _CONTACT),
    _enum("hs_lead_status", "Lead Status", LEAD_STATUSES, "sales_properties"),
    PropertyDef(
        "associatedcompanyid", "Primary Associated Company ID", "number", "number", _CONTACT
    ),
    PropertyDef("salesforceleadid", "Salesforce Lead ID", group_name="salesforceinformation"),
    PropertyDef("salesforcecontactid", "Salesforce Contact ID", group_name="salesforceinformation"),
    _system("createdate", "Create Date", "datetime", _CONTACT),
    _system("lastmodifieddate", "Last Modified Date", "datetime", _CONTACT),
    _system("hs_object_id", "Record ID", "number", _CONTACT),
)
COMPANY_PROPERTIES = (
    PropertyDef("name", "Company name", group_name=_COMPANY),
    PropertyDef("domain", "Company Domain Name", group_name=_COMPANY),
    PropertyDef("industry", "Industry", group_name=_COMPANY),
    PropertyDef("numberofemployees", "Number of Employees", "number", "number", _COMPANY),
    PropertyDef("country", "Country/Region", group_name=_COMPANY),
    _enum("lifecyclestage", "Lifecycle Stage", LIFECYCLE_STAGES, _COMPANY),
    PropertyDef("salesforceaccountid", "Salesforce Account ID", group_name="salesforceinformation"),
    _system("createdate", "Create Date", "datetime", _COMPANY),
    _system("hs_lastmodifieddate", "Last Modified Date", "datetime", _COMPANY),
    _system("hs_object_id", "Record ID", "number", _COMPANY),
)
_SCORES = "mdp_scores"


def _score(
    name: str,
    label: str,
    description: str,
    kind: str = "string",
    options: tuple[str, ...] = (),
    *,
    multiline: bool = False,
    currency: bool | None = None,
) -> PropertyDef:
    """A custom property the portal admin created for the platform's score write-back."""
    field_type = {"number": "number", "enumeration": "select", "datetime": "date"}.get(
        kind, "textarea" if multiline else "text"
    )
    return PropertyDef(
        name,
        label,
        kind,
        field_type,
        _SCORES,
        options=options,
        hubspot_defined=False,
        description=description,
        show_currency_symbol=currency,
    )


def _churn(horizon: str, title: str) -> tuple[PropertyDef, ...]:
    return (
        _score(
            f"mdp_churn_risk_{horizon}",
            f"Churn risk ({title})",
            f"Chance in percent (0-100) that this customer cancels in the {title}.",
            "number",
        ),
        _score(
            f"mdp_churn_risk_level_{horizon}",
            f"Churn risk level ({title})",
            "High, Medium or Low churn risk.",
            "enumeration",
            ("High", "Medium", "Low"),
        ),
        _score(
            f"mdp_churn_risk_reasons_{horizon}",
            f"Churn risk drivers ({title})",
            "The three facts that moved the risk most, one per line.",
            multiline=True,
        ),
        _score(
            f"mdp_churn_risk_scored_at_{horizon}",
            f"Churn risk scored at ({title})",
            "When mdp computed the risk.",
            "datetime",
        ),
        _score(
            f"mdp_churn_risk_model_version_{horizon}",
            f"Churn model ({title})",
            "The model and version that computed the risk.",
        ),
    )


#: Custom properties for the CRM sync (activation/crm/FIELDS.md), when the emulator seeds them.
SCORE_PROPERTIES = {
    "contacts": (
        _score(
            "mdp_lead_score",
            "Lead score",
            "Chance in percent (0-100) that this lead becomes a closed-won deal within 90 days "
            "of its creation, from mdp's lead scoring model.",
            "number",
        ),
        _score(
            "mdp_lead_tier",
            "Lead tier",
            "Hot, Warm or Cold: call Hot leads first.",
            "enumeration",
            ("Hot", "Warm", "Cold"),
        ),
        _score(
            "mdp_lead_score_reasons",
            "Why this lead score",
            "The three facts that moved the score most, one per line.",
            multiline=True,
        ),
        _score("mdp_lead_scored_at", "Lead scored at", "When mdp computed the score.", "datetime"),
        _score(
            "mdp_lead_model_version",
            "Lead score model",
            "The model and version that computed the score.",
        ),
    ),
    "companies": (
        *_churn("1m", "next month"),
        *_churn("3m", "next 3 months"),
        _score(
            "mdp_predicted_ltv",
            "Predicted 12-month value",
            "Expected value of this customer over the next 12 months, in the portal's currency, "
            "rounded.",
            "number",
            currency=True,
        ),
        _score(
            "mdp_ltv_scored_at", "Predicted value computed at", "When mdp computed it.", "datetime"
        ),
        _score("mdp_ltv_model_version", "Value model", "The model that computed the value."),
    ),
}
#: What a read returns when the caller names no properties (as the real API does).
DEFAULT_READ = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
}
#: The property that carries the last-modified timestamp of each object type.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}


class PropertyError(ValueError):
    """A property definition the API refuses; `category` is HubSpot's error category."""

    def __init__(self, message: str, category: str = "VALIDATION_ERROR") -> None:
        super().__init__(message)
        self.category = category


@dataclass
class PropertyRegistry:
    """The property definitions of every object type; custom ones can be added at runtime."""

    by_type: dict[str, dict[str, PropertyDef]] = field(
        default_factory=lambda: {
            "contacts": {p.name: p for p in CONTACT_PROPERTIES},
            "companies": {p.name: p for p in COMPANY_PROPERTIES},
        }
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_score_properties(self) -> None:
        """What the admin sets up for the CRM sync: the SCORE_PROPERTIES custom properties."""
        with self._lock:
            for object_type, definitions in SCORE_PROPERTIES.items():
                self.by_type[object_type].update((p.name, p) for p in definitions)

    def of(self, object_type: str) -> dict[str, PropertyDef]:
        with self._lock:
            return dict(self.by_type[object_type])

    def create(self, object_type: str, body: dict[str, Any], now: dt.datetime) -> PropertyDef:
        """Add a custom property from a `POST /crm/v3/properties/{type}` body."""
        definition = _definition_from(body, now)
        with self._lock:
            defs = self.by_type[object_type]
            if definition.name in defs:
                raise PropertyError(
                    f"Property named '{definition.name}' already exists.", category="CONFLICT"
                )
            defs[definition.name] = definition
        return definition

    def unique_id_properties(self, object_type: str) -> set[str]:
        """Properties usable as `idProperty`: unique-valued ones, plus email for contacts."""
        unique = {p.name for p in self.of(object_type).values() if p.has_unique_value}
        return unique | ({"email"} if object_type == "contacts" else set()) | {"hs_object_id"}


def _definition_from(body: dict[str, Any], now: dt.datetime) -> PropertyDef:
    missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
    if missing:
        raise PropertyError(f"{missing[0]} can not be null or empty")
    if body["type"] not in PROPERTY_TYPES or body["fieldType"] not in FIELD_TYPES:
        raise PropertyError(f"Invalid type/fieldType: {body['type']}/{body['fieldType']}")
    options = tuple(str(o.get("value")) for o in body.get("options") or [])
    return PropertyDef(
        name=str(body["name"]),
        label=str(body["label"]),
        type=str(body["type"]),
        field_type=str(body["fieldType"]),
        group_name=str(body["groupName"]),
        options=options,
        has_unique_value=bool(body.get("hasUniqueValue", False)),
        hubspot_defined=False,
        description=str(body.get("description") or ""),
        created_at=now,
    )


def value_problem(definition: PropertyDef | None, name: str, value: str) -> tuple[str, str] | None:
    """Why HubSpot would refuse this value, as (error code, message), or None if it is valid."""
    if definition is None:
        return "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'
    if definition.read_only:
        return "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
    if value == "":
        return None
    if definition.type == "number" and not _is_number(value):
        return "INVALID_DECIMAL", f"{value} was not a valid number."
    if definition.options and value not in definition.options:
        allowed = ", ".join(definition.options)
        return "INVALID_OPTION", f"{value} was not one of the allowed options: [{allowed}]"
    return None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
