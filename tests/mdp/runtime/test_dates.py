"""Run windows: a day from the data interval, or an explicit backfill range."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mdp.errors import ConfigError
from mdp.runtime.dates import days, run_window


def test_data_interval_day() -> None:
    start = datetime(2025, 5, 4, tzinfo=UTC)
    assert run_window({}, start) == (date(2025, 5, 4), date(2025, 5, 4))


def test_params_override_the_interval() -> None:
    window = run_window({"start": "2025-01-01", "end": "2025-01-31"}, datetime.now(UTC))
    assert window == (date(2025, 1, 1), date(2025, 1, 31))
    assert len(list(days(*window))) == 31


def test_one_sided_range_is_one_day() -> None:
    assert run_window({"start": "2025-02-03", "end": None}, None) == (date(2025, 2, 3),) * 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2025-02-03", "end": "2025-02-01"}, "before start"),
        ({"start": "03/02/2025"}, "must be a date"),
        ({}, "needs either a data interval"),
    ],
)
def test_bad_windows(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_window(params, None)


@pytest.mark.parametrize(
    ("params", "interval", "message"),
    [
        ({"start": "2099-01-01", "end": "2099-01-01"}, None, "end 2099-01-01 is in the future"),
        ({"start": "2025-01-01", "end": "2099-01-01"}, None, "end 2099-01-01 is in the future"),
        ({"start": "2099-01-01"}, None, "start 2099-01-01 is in the future"),
        ({}, datetime(2099, 1, 1, tzinfo=UTC), "the data interval's day 2099-01-01 is in"),
    ],
)
def test_windows_in_the_future_are_refused(
    params: dict, interval: datetime | None, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        run_window(params, interval, now=date(2026, 3, 1))
    assert str(error.value).startswith(message)
    assert str(error.value).endswith("(today is 2026-03-01)")
    assert "\n" not in str(error.value)


def test_today_is_allowed() -> None:
    today = date(2026, 3, 1)
    assert run_window({"end": "2026-03-01"}, None, now=today) == (today, today)
    assert run_window({}, datetime(2026, 3, 1, 23, tzinfo=UTC), now=today) == (today, today)
    real_today = datetime.now(UTC).date().isoformat()
    assert run_window({"start": real_today}, None)[1].isoformat() == real_today
