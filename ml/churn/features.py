"""Churn features from marts.fct_customer_months (every column is as of the month's first day)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from math import exp
from typing import Any

import pandas as pd

from mdp.warehouse import Warehouse
from ml.common.classifier import FeatureSpec
from ml.common.marts import read_columns
from ml.common.reasons import Feature, count, labels, money, percent

TIME_COLUMN = "month_start"

#: Model inputs. Each says one thing a customer success manager can check and act on; sizes
#: that move together (seats, MRR, active users, product events) enter once each as a ratio,
#: so one signal is never split into opposite-signed reasons ("▲ 73 seats", "▼ MRR of $4,395").
NUMERIC = (
    "tenure_months",
    "seats",
    "mrr_change_3_months",
    "previous_month_seats_used_ratio",
    "events_per_active_user",
    "active_users_trend",
    "cases_opened_last_90_days",
    "open_cases",
)
CATEGORICAL = ("plan",)
#: Columns of marts.fct_customer_months the features are made from.
MART_NUMERIC = (
    "tenure_months",
    "seats",
    "mrr",
    "mrr_change_3_months",
    "previous_month_active_users",
    "previous_month_events",
    "previous_month_seats_used_ratio",
    "active_users_trend",
    "cases_opened_last_90_days",
    "cases_opened_last_3_months",  # read for champions registered before it was dropped
    "open_cases",
)


def _cases(period: str) -> Callable[[Any], str]:
    def phrase(value: Any) -> str:
        if not value:
            return f"No support cases in the last {period}"
        return f"{count(value, 'support case', 'support cases')} in the last {period}"

    return phrase


def _trend(value: float | None) -> str:
    if value is None:
        return "Active-user trend unknown"
    change = exp(value) - 1  # the feature is log(active users now / three months ago)
    if abs(change) < 0.05:
        return "Active users steady over 3 months"
    return f"Active users {'up' if change > 0 else 'down'} {percent(abs(change))} over 3 months"


def _unknown(text: str, phrase: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda value: text if value is None else phrase(value)


def features(currency: str) -> dict[str, Feature]:
    """What each feature means, as a customer success manager reads it (values as of the
    month's first day); `currency` is the currency MRR is in."""

    def mrr_change(value: float) -> str:
        if abs(value) < 0.5:
            return "MRR unchanged over 3 months"
        direction = "up" if value > 0 else "down"
        return f"MRR {direction} {money(abs(value), currency)} over 3 months"

    return {
        "tenure_months": Feature(
            "Months as a customer",
            _unknown("Tenure unknown", lambda v: f"Customer for {count(v, 'month', 'months')}"),
        ),
        "seats": Feature(
            "Seats", _unknown("Seats unknown", lambda v: f"{count(v, 'seat', 'seats')} bought")
        ),
        "mrr_change_3_months": Feature(
            "MRR change over 3 months", _unknown("MRR change unknown", mrr_change)
        ),
        "events_per_active_user": Feature(
            "Product events per active user last month",
            _unknown(
                "No active users last month",
                lambda v: (
                    f"{count(v, 'product event', 'product events')} per active user last month"
                ),
            ),
        ),
        "previous_month_seats_used_ratio": Feature(
            "Seat utilisation last month",
            _unknown("Seat use unknown", lambda v: f"Used {percent(v)} of seats last month"),
        ),
        "active_users_trend": Feature("Active-user trend (3 months)", _trend),
        "cases_opened_last_90_days": Feature("Support cases (90 days)", _cases("90 days")),
        "open_cases": Feature(
            "Open support cases",
            lambda v: (
                "No open support cases"
                if not v
                else f"{count(v, 'support case', 'support cases')} still open"
            ),
        ),
        "plan": Feature("Plan", _unknown("Plan unknown", lambda v: f"On the {v} plan")),
    }


LABELS = labels(features("USD"))


@dataclass(frozen=True)
class Horizon:
    """One prediction target of the churn model."""

    months: int
    label: str  # outcome column of fct_customer_months
    registered_name: str
    name: str  # how people call it: in score tables, CRM field names (1M / 3M) and reports

    @property
    def title(self) -> str:
        return f"next {self.months} month{'s' if self.months > 1 else ''}"


HORIZONS = (
    Horizon(1, "churned_in_month", "mdp_churn_1m", "1M"),
    Horizon(3, "churned_within_3_months", "mdp_churn_3m", "3M"),
)


def panel(warehouse: Warehouse) -> pd.DataFrame:
    """The churn panel, months as timestamps, sorted."""
    columns = (
        "customer_month_key",
        "account_id",
        "month_start",
        "is_past_minimum_term",
        *MART_NUMERIC,
        *CATEGORICAL,
        *(h.label for h in HORIZONS),
    )
    frame = read_columns(warehouse, "marts.fct_customer_months", columns)
    frame["month_start"] = pd.to_datetime(frame["month_start"])
    for name in MART_NUMERIC:
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    active = frame["previous_month_active_users"]
    # how deeply the people who log in use the product; unknown with nobody active
    frame["events_per_active_user"] = (frame["previous_month_events"] / active).where(active > 0)
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
    """Current customers in `month` that can churn: past the minimum term and not already known
    to have churned in it (an account that has left needs no churn risk)."""
    known_churn = frame["churned_in_month"].fillna(False).astype(bool)
    keep = frame["is_past_minimum_term"].astype(bool) & (frame["month_start"] == month)
    return frame[keep & ~known_churn].reset_index(drop=True)


def feature_spec(frame: pd.DataFrame) -> FeatureSpec:
    return FeatureSpec.infer(frame, NUMERIC, CATEGORICAL, LABELS)
