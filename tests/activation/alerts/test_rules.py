"""Score-based rules, pacing and anomalies on a copy of the built tiny-world marts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from activation.alerts.anomalies import evaluate_anomalies, robust_check
from activation.alerts.rules import churn_rule, hot_lead_rule, pacing_rule
from mdp.warehouse import get_warehouse

END = date(2025, 12, 31)


def test_robust_check_by_hand() -> None:
    days = pd.date_range("2025-01-01", periods=36, freq="D")
    history = pd.Series(10.0, index=days)
    history[days[-8]] = 12.0  # one same-weekday week differs: median 10, MAD 0
    median, spread, z = robust_check(history.copy(), days[-1], 4, 0.1) or (0, 0, 0)
    assert (median, spread, z) == (10.0, 1.0, 0.0)  # floor: 10 % of the median
    history[days[-1]] = 15.0
    assert robust_check(history, days[-1], 4, 0.1) == (10.0, 1.0, 5.0)
    assert robust_check(pd.Series(0.0, index=days), days[-1], 4, 0.1) is None  # usually zero


def test_churn_and_hot_lead_rules(warehouse_copy: Any) -> None:
    with get_warehouse(warehouse_copy) as warehouse:
        leads = warehouse.query(
            "select lead_id, lead_status, created_date, mql_at, is_converted, company_name, "
            "owner_id, owner_name from marts.fct_leads"
        ).to_pandas()
        customer = warehouse.query(
            "select account_id, account_name from marts.dim_customers order by account_id limit 1"
        ).to_pylist()[0]
        snapshot = pd.Timestamp(END).date()
        warehouse.merge(
            "scores.lead_scores",
            pa.table(
                {
                    "lead_id": leads["lead_id"],
                    "probability": [0.5] * len(leads),
                    "tier": ["Hot"] * len(leads),
                    "feature_snapshot_date": pa.array([snapshot] * len(leads), pa.date32()),
                }
            ),
            keys=["lead_id"],
        )
        warehouse.merge(
            "scores.churn_scores",
            pa.table(
                {
                    "account_id": ["A", "B", "C", customer["account_id"]],
                    "horizon_months": [3, 3, 1, 3],
                    "probability": [0.9, 0.3, 0.95, 0.8],
                    "reason_1": ["cases", "usage", "cases", "usage"],
                    "feature_snapshot_date": pa.array([snapshot] * 4, pa.date32()),
                }
            ),
            keys=["account_id", "horizon_months"],
        )
        churn = churn_rule(warehouse, warehouse_copy, END)
        hot = hot_lead_rule(warehouse, warehouse_copy, END)
    # 3-month horizon, above its High cut-off (0.35); named as in dim_customers (the id when
    # it is not a customer)
    assert sorted((a.entity_id, a.entity_name, a.score) for a in churn) == sorted(
        [("A", "A", 90), (customer["account_id"], customer["account_name"], 80)]
    )
    touched = pd.to_datetime(leads["mql_at"].fillna(leads["created_date"])).dt.date
    untouched = leads.loc[
        leads["lead_status"].isin(["Open", "MQL"])
        & ~leads["is_converted"]
        & (touched <= END - timedelta(days=2))
    ]
    assert sorted(a.entity_id for a in hot) == sorted(untouched["lead_id"]) and len(hot) > 0
    # each names its company and owner (who the digest groups it under), and its score 0-100
    expected = untouched.set_index("lead_id")
    for alert in hot:
        lead = expected.loc[alert.entity_id]
        assert (alert.entity_name, alert.owner_id, alert.owner_name, alert.score) == (
            lead["company_name"],
            lead["owner_id"],
            lead["owner_name"],
            50,
        )
        days = (END - pd.Timestamp(lead["created_date"]).date()).days
        assert alert.actual == f"untouched {days} days (since {lead['created_date']:%Y-%m-%d})"


def test_pacing_against_a_plan(warehouse_copy: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with get_warehouse(warehouse_copy) as warehouse:
        spend = warehouse.query(
            "select campaign_id, sum(spend) as spend from marts.fct_ad_performance_daily "
            "where date > date '2025-12-24' group by 1"
        ).to_pandas()
        spend["spend"] = spend["spend"].astype(float)
        on_plan, off_plan = spend.iloc[0], spend.iloc[1]
        budgets = {
            str(on_plan.campaign_id): on_plan.spend / 7,  # exactly on plan
            str(off_plan.campaign_id): off_plan.spend / 7 / 2,  # spending twice the plan
        }
        monkeypatch.setattr(warehouse_copy.alerts, "daily_budgets", budgets)
        alerts = pacing_rule(warehouse, warehouse_copy, END)
    assert [(a.entity_id, a.actual.endswith("overspending)")) for a in alerts] == [
        (str(off_plan.campaign_id), True)
    ]


def test_forecast_interval_replaces_the_baseline(warehouse_copy: Any) -> None:
    """A forecast whose interval excludes the actual leads flags them (tiny leads are too sparse
    for the robust baseline, so without it nothing fires for leads)."""
    with get_warehouse(warehouse_copy) as warehouse:
        before = evaluate_anomalies(warehouse, warehouse_copy, END)
        warehouse.merge(
            "scores.forecasts",
            pa.table(
                {
                    "series_key": ["leads|daily|(all)"],
                    "metric": ["leads"],
                    "frequency": ["daily"],
                    "channel": ["(all)"],
                    "date": pa.array([END], pa.date32()),
                    "yhat": [50.0],
                    "yhat_lower_95": [40.0],
                    "yhat_upper_95": [60.0],
                    "as_of": pa.array([END - timedelta(days=1)], pa.date32()),
                }
            ),
            keys=["series_key", "date"],
        )
        after = evaluate_anomalies(warehouse, warehouse_copy, END)
    assert [a.rule for a in after if a.rule not in {b.rule for b in before}] == ["anomaly_leads"]
