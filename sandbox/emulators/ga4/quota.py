"""Property quota accounting: token buckets per hour and per day, reported as `propertyQuota`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.emulators.ga4.errors import tokens_exhausted

_PACIFIC = ZoneInfo("America/Los_Angeles")  # GA4's daily quota resets at midnight Pacific


@dataclass(frozen=True)
class QuotaLimits:
    """A standard (non-360) property's limits."""

    tokens_per_day: int = 200_000
    tokens_per_hour: int = 40_000
    tokens_per_project_per_hour: int = 14_000
    concurrent_requests: int = 10
    server_errors_per_project_per_hour: int = 10
    potentially_thresholded_requests_per_hour: int = 120


def request_cost(days: int) -> int:
    """Tokens a report costs: 1, plus 1 per further 31 days of requested date range."""
    return 1 + max(days - 1, 0) // 31


def _status(consumed: int, remaining: int) -> dict[str, int]:
    """A QuotaStatus as proto3 JSON writes it (zero fields left out)."""
    return {k: v for k, v in (("consumed", consumed), ("remaining", remaining)) if v}


class PropertyQuota:
    """Tokens spent this hour and this (Pacific) day; concurrent requests; server errors."""

    def __init__(self, limits: QuotaLimits, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._hour: tuple[int, int] = (0, 0)  # (hour key, tokens)
        self._day: tuple[str, int] = ("", 0)  # (Pacific date, tokens)
        self._errors: tuple[int, int] = (0, 0)  # (hour key, server errors)
        self._in_flight = 0

    def reset(self, limits: QuotaLimits | None = None) -> None:
        with self._lock:
            self.limits = limits or self.limits
            self._hour, self._day, self._errors = (0, 0), ("", 0), (0, 0)

    def _keys(self) -> tuple[int, str]:
        now = self._clock()
        return int(now // 3600), datetime.fromtimestamp(now, _PACIFIC).date().isoformat()

    def _spent(self) -> tuple[int, int]:
        hour, day = self._keys()
        return (
            self._hour[1] if self._hour[0] == hour else 0,
            self._day[1] if self._day[0] == day else 0,
        )

    def check(self) -> None:
        """Raise RESOURCE_EXHAUSTED when a bucket is empty (the daily one is reported first)."""
        with self._lock:
            hourly, daily = self._spent()
        if daily >= self.limits.tokens_per_day:
            raise tokens_exhausted("day")
        if hourly >= self.limits.tokens_per_hour:
            raise tokens_exhausted("hour")

    def charge(self, tokens: int) -> dict[str, Any]:
        """Spend tokens and return the request's `propertyQuota`."""
        with self._lock:
            hourly, daily = self._spent()
            hour, day = self._keys()
            self._hour, self._day = (hour, hourly + tokens), (day, daily + tokens)
            errors = self._errors[1] if self._errors[0] == hour else 0
            in_flight = self._in_flight
        limits = self.limits
        return {
            "tokensPerDay": _status(tokens, max(limits.tokens_per_day - daily - tokens, 0)),
            "tokensPerHour": _status(tokens, max(limits.tokens_per_hour - hourly - tokens, 0)),
            "concurrentRequests": _status(0, max(limits.concurrent_requests - in_flight, 0)),
            "serverErrorsPerProjectPerHour": _status(
                0, max(limits.server_errors_per_project_per_hour - errors, 0)
            ),
            "potentiallyThresholdedRequestsPerHour": _status(
                0, limits.potentially_thresholded_requests_per_hour
            ),
            "tokensPerProjectPerHour": _status(
                tokens, max(limits.tokens_per_project_per_hour - hourly - tokens, 0)
            ),
        }

    def server_error(self) -> None:
        with self._lock:
            hour, _ = self._keys()
            count = self._errors[1] if self._errors[0] == hour else 0
            self._errors = (hour, count + 1)

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1
