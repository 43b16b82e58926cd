"""Salesforce record conventions: Ids in creation order, recycle-bin copies, audit fields."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.world.ids import salesforce_ids
from sandbox.world.sf_time import latest, visible

_FIRST_COUNTER = 4_096  # Ids of a fresh org do not start at 1


def ids_by_creation(sobject: str, created: np.ndarray) -> np.ndarray:
    """Salesforce Ids that increase with CreatedDate (ties keep row order)."""
    order = np.argsort(created, kind="stable")
    ids = np.empty(len(created), dtype=object)
    ids[order] = salesforce_ids(sobject, len(created), first=_FIRST_COUNTER)
    return ids.astype(str)


def with_deleted_copies(
    rng: np.random.Generator, frame: pd.DataFrame, share: float, end: np.datetime64
) -> pd.DataFrame:
    """Append duplicates of a random `share` of rows that users created and then deleted.

    Copies are created 1-30 minutes after their original and deleted 1 hour to 5 days later;
    `is_deleted` marks them and `deleted_at` holds the deletion (their last modification).
    """
    pick = np.flatnonzero(rng.random(len(frame)) < share)
    copies = frame.iloc[pick].copy()
    copies["created"] = copies["created"] + (rng.integers(60, 1_800, len(pick))).astype(
        "timedelta64[s]"
    )
    deleted = copies["created"].to_numpy() + (rng.uniform(1, 120, len(pick)) * 3_600).astype(
        "timedelta64[s]"
    )
    copies["deleted_at"] = np.where(visible(deleted, end), deleted, end - np.timedelta64(1, "s"))
    copies["is_deleted"] = True
    copies = copies.loc[visible(copies["created"].to_numpy(), end)]
    originals = frame.assign(is_deleted=False, deleted_at=np.datetime64("NaT", "s"))
    return pd.concat([originals, copies], ignore_index=True)


def modstamps(frame: pd.DataFrame, modified: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LastModifiedDate and SystemModstamp; a deletion is the last modification of a copy."""
    last = latest(frame["created"].to_numpy(), modified, frame["deleted_at"].to_numpy())
    return last, last


def auto_numbers(prefix: str, created: np.ndarray, width: int) -> np.ndarray:
    """Auto-number Name field values (PREFIX-000001, …) in creation order."""
    order = np.argsort(created, kind="stable")
    numbers = np.empty(len(created), dtype=np.int64)
    numbers[order] = np.arange(1, len(created) + 1)
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width))
