"""Per-stream incremental cursors, kept in the warehouse (`mdp_meta.state`) next to the data."""

from __future__ import annotations

from mdp.warehouse import Warehouse


class StreamState:
    """Cursor of each stream of one source; explicit reads and writes, no hidden globals."""

    def __init__(self, warehouse: Warehouse, source: str) -> None:
        self.warehouse = warehouse
        self.source = source

    def _key(self, stream: str) -> str:
        return f"{self.source}.{stream}.cursor"

    def cursor(self, stream: str) -> str | None:
        """The stored cursor (e.g. a SystemModstamp or a date), or None before the first load."""
        return self.warehouse.get_state(self._key(stream))

    def advance(self, stream: str, value: str) -> None:
        """Store a new cursor; callers advance only after the data up to it was merged."""
        self.warehouse.set_state(self._key(stream), value)
