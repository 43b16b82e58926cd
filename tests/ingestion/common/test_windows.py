"""Load windows and the restatement lookback."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from ingestion.common.windows import windows


def test_load_windows_cover_the_chunk_without_gaps_or_overlap() -> None:
    chunks = list(windows(date(2025, 1, 1), date(2025, 1, 31), 7))
    assert chunks[0] == (date(2025, 1, 1), date(2025, 1, 7))
    assert chunks[-1] == (date(2025, 1, 29), date(2025, 1, 31))
    assert sum((w[1] - w[0]).days + 1 for w in chunks) == 31
    assert all((b[0] - a[1]).days == 1 for a, b in pairwise(chunks))
