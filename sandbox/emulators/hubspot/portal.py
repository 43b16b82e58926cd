"""The emulated HubSpot account: property registry, record stores and the read endpoints."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sandbox.emulators.http import Request, Response
from sandbox.emulators.hubspot import errors
from sandbox.emulators.hubspot.properties import DEFAULT_READ, PropertyRegistry, value_problem
from sandbox.emulators.hubspot.store import CrmObject, ObjectStore

MAX_PAGE = 100
DEFAULT_PAGE = 10
#: Object type names the v3 objects API accepts, including the numeric object type ids.
OBJECT_TYPES = {
    "contacts": "contacts",
    "0-1": "contacts",
    "companies": "companies",
    "0-2": "companies",
}
#: Properties every record representation carries whatever was requested.
ALWAYS_RETURNED = {
    "contacts": ("createdate", "hs_object_id", "lastmodifieddate"),
    "companies": ("createdate", "hs_lastmodifieddate", "hs_object_id"),
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Portal:
    """All state of one emulated account; `base_url` builds the `paging.next.link` URLs."""

    registry: PropertyRegistry = field(default_factory=PropertyRegistry)
    stores: dict[str, ObjectStore] = field(
        default_factory=lambda: {
            "contacts": ObjectStore("contacts", first_id=1001),
            "companies": ObjectStore("companies", first_id=5001),
        }
    )
    base_url: str = "https://api.hubapi.com"

    def returned_names(self, object_type: str, requested: Iterable[str] | None) -> list[str]:
        """Requested properties that exist (unknown ones are ignored, as documented), plus the
        ones always returned; the default set when none are requested."""
        names = [n for n in requested or () if n]
        if not names:
            return list(DEFAULT_READ[object_type])
        defined = self.registry.of(object_type)
        kept = [n for n in names if n in defined]
        return sorted(set(kept) | set(ALWAYS_RETURNED[object_type]))

    def clean_values(
        self, object_type: str, raw: Mapping[str, Any]
    ) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
        """Values as HubSpot stores them (strings), and every (name, code, message) problem."""
        defs = self.registry.of(object_type)
        values = {name: as_text(name, value) for name, value in raw.items()}
        problems = []
        for name, value in values.items():
            problem = value_problem(defs.get(name), name, value)
            if problem:
                problems.append((name, *problem))
        return values, problems


def as_text(name: str, value: Any) -> str:
    """HubSpot's string form of a written value (emails are stored in lower case)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text.strip().lower() if name == "email" else text


def list_page(portal: Portal, object_type: str, request: Request) -> Response:
    """`GET /crm/v3/objects/{type}`: records in id order, `paging.next.after` until the end."""
    limit_text, after_text = request.param("limit", str(DEFAULT_PAGE)), request.param("after", "0")
    if not (limit_text or "").isdigit() or not (after_text or "").isdigit():
        return errors.validation(
            f"Invalid paging parameters: limit={limit_text}, after={after_text}"
        )
    limit = min(max(int(limit_text or DEFAULT_PAGE), 1), MAX_PAGE)
    names = portal.returned_names(object_type, requested_properties(request))
    store = portal.stores[object_type]
    with store.lock:
        records, next_after = store.page(int(after_text or 0), limit)
        body: dict[str, Any] = {"results": [r.to_json(names) for r in records]}
    if next_after is not None:
        query = urlencode({"after": next_after})
        link = f"{portal.base_url}/crm/v3/objects/{object_type}?{query}"
        body["paging"] = {"next": {"after": str(next_after), "link": link}}
    return Response(200, body)


def get_one(portal: Portal, object_type: str, record_id: str, request: Request) -> Response:
    """`GET /crm/v3/objects/{type}/{id}` (optionally `?idProperty=email`)."""
    id_property = request.param("idProperty") or "hs_object_id"
    if id_property not in portal.registry.unique_id_properties(object_type):
        return errors.validation(f"{id_property} is not a unique property of {object_type}")
    names = portal.returned_names(object_type, requested_properties(request))
    store = portal.stores[object_type]
    with store.lock:
        record = find(store, id_property, record_id)
        return errors.not_found() if record is None else Response(200, record.to_json(names))


def find(store: ObjectStore, id_property: str, value: str) -> CrmObject | None:
    if id_property == "hs_object_id":
        return store.get(value)
    return store.lookup(id_property).get(as_text(id_property, value))


def requested_properties(request: Request) -> list[str]:
    """`properties` as repeated parameters (what the client sends) or comma-separated."""
    values = request.query.get("properties", [])
    return [name.strip() for value in values for name in value.split(",") if name.strip()]
