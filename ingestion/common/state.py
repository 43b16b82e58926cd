"""Per-stream incremental cursors, kept in the warehouse (`mdp_meta.state`) next to the data.

A cursor is read back validated: a value that is not a date/time, or lies in the future, stops
the stream with a StateError naming the key, the value and the command that resets it, instead
of a traceback deep in a connector. A cursor never moves past now: a window in the future cannot
park it there.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from mdp.runtime.cursors import cursor_key
from mdp.warehouse import Warehouse

from .errors import StateError

log = logging.getLogger(__name__)

#: Clock slack between a source's stamps and this machine's.
_SLACK = timedelta(days=1)


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class StreamState:
    """Cursor of each stream of one source; explicit reads and writes, no hidden globals."""

    def __init__(self, warehouse: Warehouse, source: str) -> None:
        self.warehouse = warehouse
        self.source = source

    def _key(self, stream: str) -> str:
        return cursor_key(self.source, stream)

    def cursor(self, stream: str) -> str | None:
        """The stored cursor as text (e.g. a SystemModstamp or a date), None before the first
        load; prefer cursor_date / cursor_datetime, which validate it."""
        return self.warehouse.get_state(self._key(stream))

    def cursor_date(self, stream: str) -> date | None:
        """The stored cursor as a day; StateError when it is not one or lies in the future."""
        text = self.cursor(stream)
        if text is None:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise self._invalid(stream, text, "is not a date like 2025-01-31") from None
        if value > (datetime.now(UTC) + _SLACK).date():
            raise self._invalid(stream, text, "is in the future")
        return value

    def cursor_datetime(self, stream: str) -> datetime | None:
        """The stored cursor as a UTC time; StateError when it is not one or lies in the
        future."""
        text = self.cursor(stream)
        if text is None:
            return None
        try:
            value = _parse_datetime(text).astimezone(UTC)
        except ValueError:
            raise self._invalid(
                stream, text, "is not a timestamp like 2025-01-31T10:00:00.000Z"
            ) from None
        if value > datetime.now(UTC) + _SLACK:
            raise self._invalid(stream, text, "is in the future")
        return value

    def _invalid(self, stream: str, text: str, problem: str) -> StateError:
        return StateError(
            f"state key {self._key(stream)!r} holds {text[:40]!r}, which {problem}; see it with "
            f"`mdp state show {self.source}` and reset it with "
            f"`mdp state reset {self.source} {stream}` (the next run then syncs from scratch)"
        )

    def advance(self, stream: str, value: str) -> None:
        """Store a new cursor; callers advance only after the data up to it was merged. A value
        past now (a window in the future) is held at now."""
        self.warehouse.set_state(self._key(stream), _not_after_now(value))


def _not_after_now(value: str) -> str:
    now = datetime.now(UTC)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        if day > now.date():
            log.warning("cursor %s is in the future; holding it at today %s", value, now.date())
            return now.date().isoformat()
        return value
    try:
        stamp = _parse_datetime(value)
    except ValueError:
        raise StateError(f"refusing to store cursor {value[:40]!r}: not a date or a time") from None
    if stamp > now:
        log.warning("cursor %s is in the future; holding it at now", value)
        millis = f"{now.microsecond // 1000:03d}"
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z"
    return value
