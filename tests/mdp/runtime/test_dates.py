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
