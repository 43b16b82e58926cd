"""Cursors are validated on read and never stored past now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ingestion.common.errors import StateError
from ingestion.common.state import StreamState
from mdp.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture
def state(tmp_path: Path):
    with DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        yield StreamState(wh, "google_ads")


def test_a_corrupt_cursor_names_the_key_the_value_and_the_reset(state: StreamState) -> None:
    state.warehouse.set_state("google_ads.ad_metrics_daily.cursor", "garbage")
    with pytest.raises(StateError) as caught:
        state.cursor_date("ad_metrics_daily")
    message = str(caught.value)
    assert "'google_ads.ad_metrics_daily.cursor' holds 'garbage'" in message
    assert "mdp state reset google_ads ad_metrics_daily" in message
    assert "\n" not in message and caught.value.exit_code == 2
    with pytest.raises(StateError, match="not a timestamp"):
        state.cursor_datetime("ad_metrics_daily")


def test_a_cursor_in_the_future_is_refused_on_read(state: StreamState) -> None:
    state.warehouse.set_state("google_ads.ad_metrics_daily.cursor", "2099-01-01")
    with pytest.raises(StateError, match="is in the future"):
        state.cursor_date("ad_metrics_daily")


def test_a_cursor_never_moves_past_now(state: StreamState) -> None:
    today = datetime.now(UTC).date()
    state.advance("ad_metrics_daily", "2099-01-01")
    assert state.cursor_date("ad_metrics_daily") == today
    state.advance("Lead", "2099-01-01T00:00:00.000Z")
    stored = state.cursor_datetime("Lead")
    assert stored is not None and stored <= datetime.now(UTC)
    state.advance("ad_metrics_daily", (today - timedelta(days=3)).isoformat())
    assert state.cursor_date("ad_metrics_daily") == today - timedelta(days=3)
    assert state.cursor_date("never_loaded") is None


def test_valid_cursors_round_trip(state: StreamState) -> None:
    state.advance("Lead", "2025-01-31T10:00:00.123Z")
    assert state.cursor_datetime("Lead") == datetime(2025, 1, 31, 10, 0, 0, 123000, tzinfo=UTC)
    state.advance("events", "2025-01-31")
    assert state.cursor_date("events") == date(2025, 1, 31)
