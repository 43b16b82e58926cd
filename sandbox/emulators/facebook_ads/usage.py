"""Rate-limit usage headers Graph sends on every response, rising with calls in the last hour."""

from __future__ import annotations

import json
import threading
import time
from collections import deque

_WINDOW_SECONDS = 3600
_TIER = "standard_access"


class UsageMeter:
    """Counts calls over a rolling hour; `calls_per_hour` is the budget that reads as 100 %."""

    def __init__(self, calls_per_hour: int = 2000, regain_minutes: int = 1) -> None:
        self.calls_per_hour = calls_per_hour
        self.regain_minutes = regain_minutes
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()

    def record(self) -> int:
        """Count one call; the utilisation percentage after it."""
        now = time.monotonic()
        with self._lock:
            self._calls.append(now)
            while self._calls and self._calls[0] < now - _WINDOW_SECONDS:
                self._calls.popleft()
            return min(100, len(self._calls) * 100 // self.calls_per_hour)

    def headers(
        self, percent: int, account_id: str, use_case: str, throttled: bool
    ) -> dict[str, str]:
        """The four usage headers; a throttled call reads 100 % with a time to regain access."""
        if throttled:
            percent = 100
        regain = self.regain_minutes if throttled else 0
        buc = {
            account_id: [
                {
                    "type": use_case,
                    "call_count": percent,
                    "total_cputime": percent // 2,
                    "total_time": percent // 2,
                    "estimated_time_to_regain_access": regain,
                    "ads_api_access_tier": _TIER,
                }
            ]
        }
        return {
            "x-app-usage": json.dumps(
                {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
            ),
            "x-ad-account-usage": json.dumps(
                {
                    "acc_id_util_pct": percent,
                    "reset_time_duration": regain * 60,
                    "ads_api_access_tier": _TIER,
                }
            ),
            "x-business-use-case-usage": json.dumps(buc),
            "x-fb-ads-insights-throttle": json.dumps(
                {
                    "app_id_util_pct": percent,
                    "acc_id_util_pct": percent,
                    "ads_api_access_tier": _TIER,
                }
            ),
        }
