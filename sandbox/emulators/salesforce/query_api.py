"""REST query and queryAll: result snapshots served in batches through nextRecordsUrl locators."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from .errors import ApiError
from .query_plan import plan
from .store import Store
from .values import to_json

MIN_BATCH, MAX_BATCH = 200, 2000


@dataclass
class _Cursor:
    """A query's snapshot, owned by the session that ran it."""

    session: str
    sobject: str
    records: list[tuple[str, dict[str, Any]]]


class QueryService:
    """Runs SOQL and remembers open cursors until their last batch is read."""

    def __init__(self, store: Store, batch_size: int, duplicates: bool) -> None:
        self.store = store
        self.batch_size = batch_size
        self.duplicates = duplicates
        self._cursors: dict[str, _Cursor] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def first_page(
        self, soql: str, include_deleted: bool, session: str, version: str, batch_header: str | None
    ) -> dict[str, Any]:
        """The answer to GET query?q= (or queryAll?q=)."""
        query_plan = plan(self.store, soql)
        rows = query_plan.run(self.store, include_deleted)
        if query_plan.query.is_count:
            return {"totalSize": len(rows), "done": True, "records": []}
        cursor = _Cursor(session, query_plan.sobject, rows)
        with self._lock:
            locator = f"01g8d{next(self._ids):010d}AAA"
            self._cursors[locator] = cursor
        return self._page(locator, cursor, 0, self._batch(batch_header), version)

    def next_page(self, locator_path: str, session: str, version: str) -> dict[str, Any]:
        """The answer to GET query/<locator>-<offset>."""
        locator, _, offset = locator_path.partition("-")
        with self._lock:
            cursor = self._cursors.get(locator)
        if cursor is None or cursor.session != session or not offset.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, cursor, int(offset), self.batch_size, version)

    def _batch(self, header: str | None) -> int:
        """Sforce-Query-Options: batchSize=N (200..2000) overrides the configured size."""
        for option in (header or "").split(","):
            name, _, value = option.strip().partition("=")
            if name == "batchSize" and value.isdigit():
                return max(MIN_BATCH, min(MAX_BATCH, int(value)))
        return self.batch_size

    def _page(
        self, locator: str, cursor: _Cursor, offset: int, size: int, version: str
    ) -> dict[str, Any]:
        end = min(offset + size, len(cursor.records))
        records = [
            _record(cursor.sobject, record_id, row, version)
            for record_id, row in cursor.records[offset:end]
        ]
        if self.duplicates and len(records) > 1:
            records.append(records[0])  # the data fault: one record served twice in a batch
        page: dict[str, Any] = {
            "totalSize": len(cursor.records),
            "done": end >= len(cursor.records),
        }
        if page["done"]:
            with self._lock:
                self._cursors.pop(locator, None)
        else:
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        page["records"] = records
        return page


def _record(sobject: str, record_id: str, row: dict[str, Any], version: str) -> dict[str, Any]:
    url = f"/services/data/v{version}/sobjects/{sobject}/{record_id}"
    record: dict[str, Any] = {"attributes": {"type": sobject, "url": url}}
    record.update((name, to_json(value)) for name, value in row.items())
    return record
