"""Ingestion cursors as `mdp state` shows and resets them: the `<source>.<stream>.cursor` values
ingestion/common/state.py keeps in the warehouse's state table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mdp.errors import UnknownCursorError
from mdp.pipeline import SOURCES
from mdp.warehouse import Warehouse

SUFFIX = ".cursor"

#: What a source's next run does once a stream has no cursor (a first sync); keep in step with
#: how each connector reads its cursor.
FIRST_SYNC = {
    "salesforce": "reads {stream}'s whole history, up to now (a first sync)",
    "facebook_ads": "pulls only its own days plus the lookback (no catch-up of missed days)",
    "google_ads": "pulls only its own days plus the lookback (no catch-up of missed days)",
    "ga4": "loads its own days (as every ga4 run does)",
}


@dataclass(frozen=True)
class Cursor:
    """One stream's stored cursor."""

    source: str
    stream: str
    value: str
    updated_at: datetime | None

    @property
    def key(self) -> str:
        """The state key it is stored under."""
        return cursor_key(self.source, self.stream)


def cursor_key(source: str, stream: str) -> str:
    """The state key of a stream's cursor (ingestion.common.state.StreamState stores under it)."""
    return f"{source}.{stream}{SUFFIX}"


def check_source(source: str) -> None:
    """Refuse a source that is not a connector."""
    if source not in SOURCES:
        raise UnknownCursorError(f"unknown source {source!r}; sources: {', '.join(SOURCES)}")


def list_cursors(warehouse: Warehouse, source: str | None = None) -> list[Cursor]:
    """Every stored cursor (of one source), sorted by source and stream."""
    if source is not None:
        check_source(source)
    cursors = []
    for entry in warehouse.list_state(f"{source}." if source else ""):
        name, _, rest = entry.key.partition(".")
        if name in SOURCES and rest.endswith(SUFFIX) and rest != SUFFIX:
            stream = rest.removesuffix(SUFFIX)
            cursors.append(Cursor(name, stream, entry.value, entry.updated_at))
    return cursors


def find_cursor(warehouse: Warehouse, source: str, stream: str) -> Cursor:
    """A stream's cursor; UnknownCursorError lists the source's streams when it has none."""
    cursors = list_cursors(warehouse, source)
    found = next((c for c in cursors if c.stream == stream), None)
    if found is not None:
        return found
    if not cursors:
        raise UnknownCursorError(
            f"{source} has no stored cursor, so stream {stream!r} has none to reset: its next "
            "run is a first sync already"
        )
    streams = ", ".join(c.stream for c in cursors)
    raise UnknownCursorError(
        f"{source} has no cursor for stream {stream!r}; streams with a cursor: {streams}"
    )


def reset_cursor(warehouse: Warehouse, cursor: Cursor) -> bool:
    """Delete the cursor so the stream's next run is a first sync; whether it was still there."""
    return warehouse.delete_state(cursor.key)


def next_run(cursor: Cursor) -> str:
    """What the stream's next run does without its cursor, in a sentence."""
    what = FIRST_SYNC.get(cursor.source, "starts as a first sync").format(stream=cursor.stream)
    return f"the next {cursor.source} run {what} and stores a new cursor"
