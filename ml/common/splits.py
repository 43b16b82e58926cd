"""Time-based splits: train on the past, calibrate on the next period, evaluate on the latest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.common.errors import NotEnoughDataError


@dataclass(frozen=True)
class TimeSplit:
    """Three consecutive time windows; every row of one is earlier than every row of the next."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    valid_start: pd.Timestamp
    test_start: pd.Timestamp


def time_split(
    frame: pd.DataFrame, time_column: str, valid: float = 0.2, test: float = 0.2
) -> TimeSplit:
    """Split rows by `time_column` into train / valid / test of about 1 - valid - test, valid
    and test of the rows. Rows sharing a timestamp (e.g. a panel month) stay together."""
    if frame.empty:
        raise NotEnoughDataError("no rows to split")
    times = pd.to_datetime(frame[time_column])
    distinct = np.sort(times.unique())
    if len(distinct) < 3:
        raise NotEnoughDataError(
            f"need at least 3 distinct {time_column} values for a time split, got {len(distinct)}"
        )
    counts = times.value_counts().reindex(distinct).to_numpy()
    share_before = (np.cumsum(counts) - counts) / counts.sum()
    eps = 1e-9  # 1 - 0.2 - 0.2 is not exactly 0.6 in floating point
    # the first timestamp where the rows before it reach the target share, never the first one
    valid_at = max(1, int(np.searchsorted(share_before, 1 - valid - test - eps)))
    test_at = max(valid_at + 1, int(np.searchsorted(share_before, 1 - test - eps)))
    test_at = min(test_at, len(distinct) - 1)
    valid_at = min(valid_at, test_at - 1)
    valid_start, test_start = pd.Timestamp(distinct[valid_at]), pd.Timestamp(distinct[test_at])
    return TimeSplit(
        train=frame[times < valid_start],
        valid=frame[(times >= valid_start) & (times < test_start)],
        test=frame[times >= test_start],
        valid_start=valid_start,
        test_start=test_start,
    )
