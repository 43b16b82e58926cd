"""Links from CRM alerts to their Salesforce records, from the Salesforce connection's org URL."""

from __future__ import annotations

import logging
from urllib.parse import quote

from activation.alerts.model import Alert
from mdp.errors import ConfigError
from mdp.runtime.connections import get_connection

log = logging.getLogger(__name__)

#: Alert entity types that are Salesforce records, and their object names.
SOBJECTS = {"lead": "Lead", "account": "Account"}


def salesforce_instance_url(conn_id: str) -> str | None:
    """The org's URL: the connection's extra `instance_url`, else its host (https:// when the
    host has no scheme); None, logged, when the connection is not defined."""
    try:
        conn = get_connection(conn_id)
    except ConfigError:
        log.info("no Salesforce connection %r: CRM alerts are sent without record links", conn_id)
        return None
    url = str((conn.extra_dejson or {}).get("instance_url") or "").strip()
    if not url and conn.host:
        url = str(conn.host).strip()
        if "://" not in url:
            url = f"https://{url}" + (f":{conn.port}" if conn.port else "")
    return url.rstrip("/") or None


def record_url(instance_url: str | None, alert: Alert) -> str | None:
    """The Lightning page of the alert's CRM record, or None for other alerts."""
    sobject = SOBJECTS.get(alert.entity_type)
    if instance_url is None or alert.platform != "crm" or sobject is None:
        return None
    return f"{instance_url}/lightning/r/{sobject}/{quote(alert.entity_id, safe='')}/view"
