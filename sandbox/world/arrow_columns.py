"""Builders for Arrow columns with the world's conventions (UTC millisecond timestamps, dates)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("ms", tz="UTC")


def timestamps(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """datetime64 values (any unit, NaT allowed) → timestamp[ms, UTC]."""
    values = np.asarray(values).astype("datetime64[ms]")
    missing = np.isnat(values) if mask is None else (mask | np.isnat(values))
    return pa.array(values, type=TIMESTAMP, mask=missing)


def dates(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """datetime64 values → date32."""
    days = np.asarray(values).astype("datetime64[D]")
    missing = np.isnat(days) if mask is None else (mask | np.isnat(days))
    return pa.array(days, type=pa.date32(), mask=missing)


def optional(values: np.ndarray, mask: np.ndarray, type_: pa.DataType) -> pa.Array:
    """Values with nulls where `mask` is True."""
    return pa.array(values, type=type_, mask=np.asarray(mask, dtype=bool))


def day_time(start: np.datetime64, day: np.ndarray, seconds: np.ndarray | int) -> np.ndarray:
    """datetime64[s] of `seconds` after midnight of day index `day` (relative to `start`)."""
    offset = np.asarray(day, dtype=np.int64) * 86_400 + np.asarray(seconds, dtype=np.int64)
    return np.asarray(start, dtype="datetime64[s]") + offset.astype("timedelta64[s]")
