"""Series built in SQL from a small fct_channel_roi_daily, and the forecast table's shape."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from mdp.warehouse.duckdb import DuckDBWarehouse
from ml.forecasting.features import (
    ALL_CHANNELS,
    ForecastInputError,
    SeriesKey,
    load_series,
)
from ml.forecasting.score import SCHEMA, forecasts


@pytest.fixture
def warehouse(tmp_path: Path) -> DuckDBWarehouse:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.con.execute("create schema marts")
    wh.con.execute(
        """
        create table marts.fct_channel_roi_daily as
        select * from (values
            (date '2024-06-01', 'linear', 'Unattributed', 0.0, 500.0),
            (date '2025-01-06', 'linear', 'Direct', 1.0, 0.0),
            (date '2025-01-06', 'linear', 'Paid Search', 0.5, 100.0),
            (date '2025-01-06', 'first_touch', 'Paid Search', 9.0, 900.0),
            (date '2025-01-08', 'linear', 'Direct', 2.0, 50.0),
            (date '2025-01-20', 'linear', 'Paid Search', 1.5, 0.0),
            (date '2025-01-22', 'linear', 'Paid Search', 4.0, 0.0)
        ) as t(date_day, attribution_model, channel, leads, attributed_revenue)
        """
    )
    return wh


def test_daily_series_start_at_tracking_and_fill_missing_days(warehouse: DuckDBWarehouse) -> None:
    series = load_series(warehouse, date(2025, 1, 21))
    direct = series[SeriesKey("leads", "daily", "Direct")]
    # From the first credited lead (Jan 6) to as_of; the 2024 deal and Jan 22 are outside.
    assert direct.index[0] == pd.Timestamp("2025-01-06")
    assert direct.index[-1] == pd.Timestamp("2025-01-21")
    assert direct.sum() == 3.0 and (direct == 0).sum() == 14
    total = series[SeriesKey("leads", "daily", ALL_CHANNELS)]
    assert total.sum() == 5.0  # the first_touch rows are not mixed in
    assert SeriesKey("revenue", "daily", "Unattributed") not in series


def test_weekly_series_keep_complete_monday_weeks(warehouse: DuckDBWarehouse) -> None:
    series = load_series(warehouse, date(2025, 1, 21))
    weekly = series[SeriesKey("leads", "weekly", "Paid Search")]
    # Jan 6-12 and 13-19 are complete; Jan 20-21 is a partial week and is dropped.
    assert list(weekly.index) == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-13")]
    assert weekly.tolist() == [0.5, 0.0]


def test_unknown_attribution_model_is_refused(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(ForecastInputError, match="unknown attribution model"):
        load_series(warehouse, date(2025, 1, 21), "made_up'; drop table x; --")


def test_forecast_table_has_one_row_per_series_and_step(warehouse: DuckDBWarehouse) -> None:
    table = forecasts(warehouse, date(2025, 1, 21), horizon=5, weekly_horizon=2)
    assert table.schema == SCHEMA
    frame = table.to_pandas()
    sizes = frame.groupby("frequency")["series_key"].value_counts()
    assert set(sizes.loc["daily"]) == {5} and set(sizes.loc["weekly"]) == {2}
    assert frame.loc[frame["frequency"] == "daily", "date"].min() == date(2025, 1, 22)
    assert (frame[["yhat", "yhat_lower_95", "yhat_lower_80"]] >= 0).all().all()
    assert (frame["yhat_lower_95"] <= frame["yhat_lower_80"]).all()
    assert (frame["yhat_upper_80"] <= frame["yhat_upper_95"]).all()
    assert pa.types.is_date32(table.schema.field("date").type)
