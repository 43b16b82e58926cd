"""The Salesforce objects mdp replicates and the raw table of each (light: DAGs import it)."""

from __future__ import annotations

import re

SOURCE = "salesforce"
#: Standard objects first, then the org's custom objects; each is one stream keyed on Id.
OBJECTS = (
    "Lead",
    "Contact",
    "Account",
    "Opportunity",
    "OpportunityHistory",
    "Campaign",
    "CampaignMember",
    "Case",
    "User",
    "Subscription__c",
    "Product_Usage__c",
)


def table_name(sobject: str) -> str:
    """Opportunity → raw.salesforce_opportunity, Product_Usage__c → raw.salesforce_product_usage."""
    stem = sobject.removesuffix("__c")
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem).lower()
    return f"raw.{SOURCE}_{re.sub(r'_+', '_', snake)}"


RAW_TABLES = tuple(table_name(sobject) for sobject in OBJECTS)
