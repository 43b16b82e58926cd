"""Date windows: the restatement lookback re-read on every run (days come from mdp's run window)."""

from __future__ import annotations

from datetime import date, timedelta


def with_lookback(first: date, last: date, lookback_days: int) -> tuple[date, date]:
    """Extend a window back so the platform's restated days are pulled again (idempotent merge)."""
    if lookback_days < 0:
        raise ValueError("lookback_days must not be negative")
    return first - timedelta(days=lookback_days), last
