"""Date windows: the unit a stream is checked and loaded in, and the restatement lookback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

#: Days checked and loaded as one unit. The quality gate costs ~0.2 s a run whatever the rows,
#: so a backfill pays it per month, not per day; a bad window quarantines at most a month.
LOAD_WINDOW_DAYS = 31


def windows(
    first: date, last: date, size_days: int = LOAD_WINDOW_DAYS
) -> Iterator[tuple[date, date]]:
    """Consecutive windows of whole days covering first..last (the last one may be shorter)."""
    if size_days < 1:
        raise ValueError("a window is at least 1 day")
    start = first
    while start <= last:
        end = min(start + timedelta(days=size_days - 1), last)
        yield start, end
        start = end + timedelta(days=1)


def with_lookback(first: date, last: date, lookback_days: int) -> tuple[date, date]:
    """Extend a window back so the platform's restated days are pulled again (idempotent merge)."""
    if lookback_days < 0:
        raise ValueError("lookback_days must not be negative")
    return first - timedelta(days=lookback_days), last
