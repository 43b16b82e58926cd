"""The emulated portal's CRM records: one thread-safe store per object type."""

from __future__ import annotations

import bisect
import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.emulators.hubspot.properties import MODIFIED_PROPERTY, iso


@dataclass
class CrmObject:
    """One record: HubSpot keeps every property value as a string."""

    id: int
    properties: dict[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime

    def to_json(self, names: Iterable[str], **extra: Any) -> dict[str, Any]:
        """The API representation with the requested properties (null when unset)."""
        return {
            "id": str(self.id),
            "properties": {name: self.properties.get(name) for name in names},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "archived": False,
            **extra,
        }


class ObjectStore:
    """Records of one object type in id order. Callers hold `lock` around a whole request, so a
    batch is applied atomically and a page is read from one consistent state."""

    def __init__(self, object_type: str, first_id: int) -> None:
        self.object_type = object_type
        self.modified_property = MODIFIED_PROPERTY[object_type]
        self.lock = threading.RLock()
        self._objects: dict[int, CrmObject] = {}
        self._ids: list[int] = []  # ascending: ids are handed out in order and never reused
        self._indexes: dict[str, dict[str, CrmObject]] = {}  # unique property → records
        self._next_id = first_id

    def __len__(self) -> int:
        return len(self._objects)

    def add(self, values: Mapping[str, str], created_at: dt.datetime) -> CrmObject:
        """Create a record with the next id; system properties are filled in."""
        record = CrmObject(self._next_id, dict(values), created_at, created_at)
        self._next_id += 1
        record.properties.update(
            {
                "hs_object_id": str(record.id),
                "createdate": iso(created_at),
                self.modified_property: iso(created_at),
            }
        )
        self._objects[record.id] = record
        self._ids.append(record.id)
        self._index(record, record.properties)
        return record

    def _index(self, record: CrmObject, values: Mapping[str, str]) -> None:
        """Keep the built lookups current for the properties just set."""
        for name, index in self._indexes.items():
            if values.get(name):
                index[normalise(name, values[name])] = record

    def write(self, record: CrmObject, values: Mapping[str, str], now: dt.datetime) -> bool:
        """Apply values; the record's modification time moves only if a value really changed."""
        changed = {k: v for k, v in values.items() if record.properties.get(k) != v}
        if not changed:
            return False
        for name, index in self._indexes.items():
            old = record.properties.get(name)
            if name in changed and old and index.get(normalise(name, old)) is record:
                del index[normalise(name, old)]
        record.properties.update(changed)
        self._index(record, changed)
        record.updated_at = now
        record.properties[self.modified_property] = iso(now)
        return True

    def get(self, record_id: str) -> CrmObject | None:
        return self._objects.get(int(record_id)) if record_id.isdigit() else None

    def lookup(self, id_property: str) -> dict[str, CrmObject]:
        """Records by the value of a unique property (emails compare case-insensitively); built
        once, then kept current by add/write, so a batch costs its inputs, not the portal."""
        if id_property not in self._indexes:
            self._indexes[id_property] = {
                normalise(id_property, value): record
                for record in self._objects.values()
                if (value := record.properties.get(id_property))
            }
        return self._indexes[id_property]

    def page(self, after: int, limit: int) -> tuple[list[CrmObject], int | None]:
        """Records with id >= after, and the id the next page starts at (None on the last)."""
        start = bisect.bisect_left(self._ids, after)
        ids = self._ids[start : start + limit + 1]
        next_after = ids[limit] if len(ids) > limit else None
        return [self._objects[k] for k in ids[:limit]], next_after


def normalise(id_property: str, value: str) -> str:
    """HubSpot stores and matches email addresses in lower case."""
    return value.strip().lower() if id_property == "email" else value
