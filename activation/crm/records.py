"""What flows between the sync and a CRM client: records to write and the outcome of writing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .mapping import ObjectMap, Target
from .schema import FieldInfo

#: Canonical values: numbers, text, ISO-8601 text for dates and times, None for empty.
Value = float | int | str | None


@dataclass(frozen=True)
class Record:
    """One CRM record to write: the warehouse key, the id the CRM upserts on, and its fields."""

    key: str
    upsert_id: str
    values: dict[str, Value]


@dataclass(frozen=True)
class Failure:
    """A record the CRM refused, with the CRM's own error code and message."""

    code: str
    message: str


@dataclass
class WriteOutcome:
    """Per-record result of one object's write: failures by warehouse key, batches sent and
    the CRM's job ids (Salesforce Bulk jobs)."""

    sent: int = 0
    batches: int = 0
    failures: dict[str, Failure] = field(default_factory=dict)
    job_ids: list[str] = field(default_factory=list)


class CrmClient(Protocol):
    """What the sync needs from a CRM."""

    target: Target
    #: Objects the sync may write at the same time (1: one after the other).
    parallel_objects: int

    def describe(self, crm_object: str) -> dict[str, FieldInfo]:
        """The object's fields as the CRM describes them."""

    def resolve(self, obj: ObjectMap, keys: list[str]) -> dict[str, str]:
        """Warehouse key → the id the upsert matches on, for the keys the CRM holds."""

    def upsert(self, obj: ObjectMap, records: list[Record]) -> WriteOutcome:
        """Write the records (only their mapped fields), batched within the API's limits."""

    def close(self) -> Any:
        """Release connections."""
