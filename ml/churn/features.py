"""Churn features from marts.fct_customer_months (every column is as of the month's first day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from mdp.warehouse import Warehouse
from ml.common.classifier import FeatureSpec
from ml.common.marts import read_columns

TIME_COLUMN = "month_start"

NUMERIC = (
    "tenure_months",
    "seats",
    "mrr",
    "mrr_change_3_months",
    "previous_month_active_users",
    "previous_month_events",
    "previous_month_seats_used_ratio",
    "active_users_trend",
    "cases_opened_last_90_days",
    "cases_opened_last_3_months",
    "open_cases",
)
CATEGORICAL = ("plan",)
LABELS = {
    "tenure_months": "Months as a customer",
    "seats": "Seats",
    "mrr": "MRR",
    "mrr_change_3_months": "MRR change over 3 months",
    "previous_month_active_users": "Active users last month",
    "previous_month_events": "Product events last month",
    "previous_month_seats_used_ratio": "Seat utilisation last month",
    "active_users_trend": "Active-user trend (3 months, log)",
    "cases_opened_last_90_days": "Support cases (90 days)",
    "cases_opened_last_3_months": "Support cases (3 months)",
    "open_cases": "Open support cases",
    "plan": "Plan",
}


@dataclass(frozen=True)
class Horizon:
    """One prediction target of the churn model."""

    months: int
    label: str  # outcome column of fct_customer_months
    registered_name: str


HORIZONS = (
    Horizon(1, "churned_in_month", "mdp_churn_1m"),
    Horizon(3, "churned_within_3_months", "mdp_churn_3m"),
)


def panel(warehouse: Warehouse) -> pd.DataFrame:
    """The churn panel, months as timestamps, sorted."""
    columns = (
        "customer_month_key",
        "account_id",
        "month_start",
        "is_past_minimum_term",
        *NUMERIC,
        *CATEGORICAL,
        *(h.label for h in HORIZONS),
    )
    frame = read_columns(warehouse, "marts.fct_customer_months", columns)
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    for name in NUMERIC:
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    return frame.sort_values(["month_start", "account_id"], ignore_index=True)


def snapshot_month(frame: pd.DataFrame, snapshot: date | None) -> pd.Timestamp:
    """First day of the snapshot's month (default: the panel's latest month)."""
    if snapshot is None:
        return pd.Timestamp(frame["month_start"].max())
    return pd.Timestamp(snapshot).to_period("M").to_timestamp()


def training_rows(frame: pd.DataFrame, month: pd.Timestamp, horizon: Horizon) -> pd.DataFrame:
    """Customer-months past the minimum term whose outcome window closed before `month`."""
    last = month - pd.DateOffset(months=horizon.months)
    keep = frame["is_past_minimum_term"].astype(bool) & (frame["month_start"] <= last)
    rows = frame[keep & frame[horizon.label].notna()].reset_index(drop=True)
    rows[horizon.label] = rows[horizon.label].astype(bool)
    return rows


def scoring_rows(frame: pd.DataFrame, month: pd.Timestamp) -> pd.DataFrame:
    """Customers in `month` that can churn (past the minimum term)."""
    keep = frame["is_past_minimum_term"].astype(bool) & (frame["month_start"] == month)
    return frame[keep].reset_index(drop=True)


def feature_spec(frame: pd.DataFrame) -> FeatureSpec:
    return FeatureSpec.infer(frame, NUMERIC, CATEGORICAL, LABELS)
