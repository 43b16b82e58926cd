"""Date windows for runs: one day from the data interval, or an explicit backfill range.

Every run window, whether from the CLI (`--start/--end`) or a DAG's params, is read here, so a
window in the future is refused in one place, before any cursor could be moved to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
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


def today() -> date:
    """Today for run windows: the later of the local and the UTC date, so a day that has begun
    anywhere the operator or Airflow (UTC) lives is not in the future."""
    return max(date.today(), datetime.now(UTC).date())


def _not_in_future(day: date, name: str, now: date | None) -> None:
    current = now or today()
    if day > current:
        raise ConfigError(f"{name} {day} is in the future (today is {current})")


def run_window(
    params: Mapping[str, Any], interval_start: datetime | None, now: date | None = None
) -> tuple[date, date]:
    """`start`/`end` from the run's params (a backfill) or else the day of the data interval.

    A window ending after today (`now`) is refused: no source has data for it, and loading it
    would move the incremental cursors into the future."""
    start, end = params.get("start"), params.get("end")
    if start or end:
        first = _as_date(start or end, "start")
        last = _as_date(end or start, "end")
        if last < first:
            raise ConfigError(f"end ({last}) is before start ({first})")
        _not_in_future(last, "end" if end else "start", now)
        return first, last
    if interval_start is None:
        raise ConfigError("a run needs either a data interval or start/end params")
    day = interval_start.date()
    _not_in_future(day, "the data interval's day", now)
    return day, day


def days(first: date, last: date) -> Iterator[date]:
    """Each day from first to last, inclusive."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)
