"""Date windows for runs: one day from the data interval, or an explicit backfill range."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from mdp.errors import ConfigError


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be a date like 2025-01-31, got {value!r}") from None


def run_window(params: Mapping[str, Any], interval_start: datetime | None) -> tuple[date, date]:
    """`start`/`end` from the run's params (a backfill) or else the day of the data interval."""
    start, end = params.get("start"), params.get("end")
    if start or end:
        first = _as_date(start or end, "start")
        last = _as_date(end or start, "end")
        if last < first:
            raise ConfigError(f"end ({last}) is before start ({first})")
        return first, last
    if interval_start is None:
        raise ConfigError("a run needs either a data interval or start/end params")
    day = interval_start.date()
    return day, day


def days(first: date, last: date) -> Iterator[date]:
    """Each day from first to last, inclusive."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)
