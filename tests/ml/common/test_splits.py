"""Time splits keep every training row before every validation row before every test row."""

from __future__ import annotations

import pandas as pd
import pytest

from ml.common.errors import NotEnoughDataError
from ml.common.splits import time_split


def test_split_is_ordered_and_near_the_target_shares() -> None:
    frame = pd.DataFrame({"t": pd.date_range("2025-01-01", periods=100, freq="D")})
    split = time_split(frame, "t")
    assert (len(split.train), len(split.valid), len(split.test)) == (60, 20, 20)
    assert split.train["t"].max() < split.valid["t"].min() <= split.valid["t"].max()
    assert split.valid["t"].max() < split.test["t"].min() == split.test_start


def test_rows_sharing_a_month_stay_in_one_window() -> None:
    months = pd.date_range("2025-01-01", periods=10, freq="MS")
    frame = pd.DataFrame({"t": months.repeat(7)})
    split = time_split(frame, "t")
    assert len(split.train) + len(split.valid) + len(split.test) == 70
    for part in (split.train, split.valid, split.test):
        assert len(part) % 7 == 0 and len(part) > 0
    assert set(split.train["t"]).isdisjoint(split.test["t"])


def test_too_few_timestamps_is_a_named_error() -> None:
    frame = pd.DataFrame({"t": pd.to_datetime(["2025-01-01", "2025-02-01"])})
    with pytest.raises(NotEnoughDataError, match="3 distinct"):
        time_split(frame, "t")
