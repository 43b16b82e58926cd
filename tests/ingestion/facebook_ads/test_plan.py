"""How a date range is pulled (sync days or async jobs) and split into load windows."""

from __future__ import annotations

from datetime import date

from ingestion.facebook_ads.sync import plan


def test_short_ranges_are_pulled_day_by_day_long_ones_by_monthly_jobs() -> None:
    assert plan(date(2025, 1, 1), date(2025, 1, 3), 7, 31) == [
        ((date(2025, 1, d), date(2025, 1, d)), False) for d in (1, 2, 3)
    ]
    jobs = plan(date(2025, 1, 1), date(2025, 3, 5), 7, 31)
    assert [chunk for chunk, _ in jobs] == [
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 3, 3)),
        (date(2025, 3, 4), date(2025, 3, 5)),
    ]
    assert all(use_async for _, use_async in jobs)
