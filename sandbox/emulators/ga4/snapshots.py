"""What the property has processed by its "today": one prepared DuckDB table per as-of day."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import duckdb

from sandbox.emulators.ga4.events import prepare

#: Returns the GA4 events (pyarrow Table) as the platform reports them when pulled on a day.
EventsAsOf = Callable[[date], Any]


class Snapshots:
    """The property's clock and its data: moving `today` serves a newer (restated) snapshot."""

    def __init__(self, events_as_of: EventsAsOf, today: date) -> None:
        self._events_as_of = events_as_of
        self._today = today
        self._connection = duckdb.connect()
        self._tables: dict[date, str] = {}
        self._lock = threading.Lock()

    @property
    def today(self) -> date:
        return self._today

    def set_today(self, today: date) -> None:
        self._today = today

    def current(self) -> tuple[duckdb.DuckDBPyConnection, str, date]:
        """A cursor for this thread, the table holding data as of today, and today."""
        today = self._today
        with self._lock:
            if today not in self._tables:
                name = f"events_{today:%Y%m%d}"
                prepare(self._connection, name, self._events_as_of(today))
                self._connection.execute(f"DELETE FROM {name} WHERE _day > ?", [today])
                self._tables[today] = name
            return self._connection.cursor(), self._tables[today], today

    def close(self) -> None:
        self._connection.close()
