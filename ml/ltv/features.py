"""Point-in-time LTV inputs from the marts: buyer RFM (days) and subscription MRR at a snapshot."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from mdp.warehouse import Warehouse
from mdp.warehouse.sql import as_double, date_literal
from ml.ltv.value import MINIMUM_TERM_MONTHS

#: BG/NBD time unit of the features: recency and T are fractional days (ltv_truth time_unit).
TIME_UNIT = "day"
_MICROS_PER_DAY = 86_400_000_000


def _snapshot_literal(snapshot_date: date) -> str:
    """A timestamp literal both DuckDB and BigQuery read: midnight UTC starting the snapshot day."""
    moment = (
        datetime.combine(snapshot_date, time())
        if not isinstance(snapshot_date, datetime)
        else snapshot_date
    )
    return f"timestamp '{moment.strftime('%Y-%m-%d %H:%M:%S')}'"


def _days_between(dialect: str, start: str, end: str) -> str:
    """SQL for (end − start) in fractional days."""
    if dialect == "bigquery":
        return f"timestamp_diff({end}, {start}, microsecond) / {_MICROS_PER_DAY}"
    return f"date_diff('microsecond', {start}, {end}) / {_MICROS_PER_DAY}"


def _month_start(dialect: str, day: date) -> str:
    """SQL for the first day of `day`'s month."""
    if dialect == "bigquery":
        return f"date_trunc({date_literal(day)}, month)"
    return f"cast(date_trunc('month', {date_literal(day)}) as date)"


def _as_day(snapshot_date: date) -> date:
    return snapshot_date.date() if isinstance(snapshot_date, datetime) else snapshot_date


def purchase_summary(warehouse: Warehouse, snapshot_date: date) -> pd.DataFrame:
    """One row per self-serve buyer with a purchase before the snapshot day.

    frequency = repeat purchases, recency = days from first to last purchase, T = days from the
    first purchase to the snapshot (midnight starting `snapshot_date`), monetary = mean repeat
    purchase revenue (null without a repeat purchase), plus first-purchase and total revenue.
    """
    at = _snapshot_literal(snapshot_date)
    dialect = warehouse.dialect_name
    sql = f"""
        with purchases as (
            select
                user_pseudo_id,
                purchased_at,
                revenue,
                row_number() over (
                    partition by user_pseudo_id order by purchased_at, transaction_id
                ) as purchase_number
            from {warehouse.qualified_name("marts.fct_purchases")}
            where purchased_at < {at} and revenue > 0
        ),
        buyers as (
            select
                user_pseudo_id,
                count(*) - 1 as frequency,
                min(purchased_at) as first_purchase_at,
                max(purchased_at) as last_purchase_at,
                avg(case when purchase_number > 1 then revenue end) as monetary,
                sum(revenue) as revenue_to_date
            from purchases
            group by user_pseudo_id
        )
        select
            user_pseudo_id,
            frequency,
            {_days_between(dialect, "first_purchase_at", "last_purchase_at")} as recency,
            {_days_between(dialect, "first_purchase_at", at)} as T,
            monetary,
            revenue_to_date,
            first_purchase_at
        from buyers
        order by user_pseudo_id
    """
    frame = warehouse.query(sql).to_pandas()
    return frame.astype({"frequency": "int64", "recency": float, "T": float, "monetary": float})


def subscription_summary(warehouse: Warehouse, snapshot_date: date) -> pd.DataFrame:
    """Accounts with MRR in the month of the snapshot (the latest month starting on or before it),
    minus those whose churn at the end of that month is already past.

    Columns: account_id, month_start, mrr, tenure_months (0 in the first MRR month),
    guaranteed_months (renewals still inside the minimum term) and revenue_to_date (Σ MRR).
    """
    day, mrr = _as_day(snapshot_date), as_double(warehouse.dialect_name, "mrr")
    sql = f"""
        with months as (
            select
                account_id,
                month_start,
                {mrr} as mrr,
                months_since_first_mrr,
                sum({mrr}) over (
                    partition by account_id order by month_start
                ) as revenue_to_date
            from {warehouse.qualified_name("marts.fct_mrr_monthly")}
            where month_start <= {date_literal(day)}
        ),
        latest as (
            select max(month_start) as month_start from months
        )
        select
            m.account_id,
            m.month_start,
            m.mrr,
            m.months_since_first_mrr as tenure_months,
            greatest({MINIMUM_TERM_MONTHS} - m.months_since_first_mrr, 0) as guaranteed_months,
            m.revenue_to_date
        from months as m
        inner join latest as l on m.month_start = l.month_start
        left join {warehouse.qualified_name("marts.fct_customer_months")} as c
            on m.account_id = c.account_id and m.month_start = c.month_start
        where m.mrr > 0
            -- a churn in a month that has ended by the snapshot is already known: no LTV left
            and not (
                coalesce(c.churned_in_month, false)
                and date_add(m.month_start, interval 1 month) <= {date_literal(day)}
            )
        order by m.account_id
    """
    frame = warehouse.query(sql).to_pandas()
    return frame.astype({"mrr": float, "tenure_months": "int64", "guaranteed_months": "int64"})


def baseline_churn_probability(warehouse: Warehouse, snapshot_date: date) -> float | None:
    """Pooled monthly churn rate of past-minimum-term customer-months completed before the
    snapshot month: the hazard used when no churn model score is given. None without history."""
    month = _month_start(warehouse.dialect_name, _as_day(snapshot_date))
    sql = f"""
        select avg(case when churned_in_month then 1.0 else 0.0 end) as rate
        from {warehouse.qualified_name("marts.fct_customer_months")}
        where is_past_minimum_term
            and month_start < {month}
    """
    rate = warehouse.query(sql).column("rate")[0].as_py()
    return None if rate is None else float(rate)


def default_snapshot(warehouse: Warehouse) -> date | None:
    """The day after the latest purchase, or the latest MRR month if later: every known
    purchase and subscription month counts. None when the marts hold neither."""
    purchases = warehouse.qualified_name("marts.fct_purchases")
    mrr = warehouse.qualified_name("marts.fct_mrr_monthly")
    row = warehouse.query(
        f"""
        select
            (select max(purchased_at) from {purchases}) as last_purchase,
            (select max(month_start) from {mrr}) as last_month
        """
    ).to_pylist()[0]
    days = []
    if row["last_purchase"] is not None:
        days.append(_as_day(row["last_purchase"]) + timedelta(days=1))
    if row["last_month"] is not None:
        days.append(_as_day(row["last_month"]))
    return max(days) if days else None


CHURN_SCORES = "scores.churn_scores"


def latest_churn_probabilities(warehouse: Warehouse, snapshot_date: date) -> pd.DataFrame | None:
    """account_id, churn_probability: the churn model's 1-month probability from its latest
    scoring on or before the snapshot (scores.churn_scores); None when there is none."""
    if not warehouse.table_exists(CHURN_SCORES):
        return None
    table = warehouse.qualified_name(CHURN_SCORES)
    day = date_literal(_as_day(snapshot_date))
    frame = warehouse.query(
        f"""
        select account_id, probability as churn_probability
        from {table}
        where horizon_months = 1
            and feature_snapshot_date = (
                select max(feature_snapshot_date) from {table}
                where horizon_months = 1 and feature_snapshot_date <= {day}
            )
        order by account_id
        """
    ).to_pandas()
    return frame if len(frame) else None
