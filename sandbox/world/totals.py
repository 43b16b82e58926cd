"""Exact totals per source table for evaluating what the pipeline loads and aggregates."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.world.customers import CustomerHistory

_SUMS = {
    "meta_ad_insights_daily": (
        "spend",
        "impressions",
        "reach",
        "clicks",
        "inline_link_clicks",
        "lead_1d_click",
        "lead_7d_click",
        "lead_1d_view",
        "lead_value_7d_click",
        "purchase_1d_click",
        "purchase_7d_click",
        "purchase_1d_view",
        "purchase_value_7d_click",
    ),
    "google_ads_metrics_daily": (
        "cost_micros",
        "impressions",
        "clicks",
        "conversions",
        "conversions_value",
        "all_conversions",
    ),
}
_GA4_COUNTED = (
    "session_start",
    "first_visit",
    "page_view",
    "generate_lead",
    "sign_up",
    "begin_trial",
    "purchase",
    "experience_impression",
)


def totals(tables: dict[str, pa.Table], history: CustomerHistory, n_world_months: int) -> pa.Table:
    """Long table (source, metric, period, value); period is "all" or a month (YYYY-MM).

    Salesforce sums skip deleted records (IsDeleted = true); row counts include them.
    """
    rows: list[tuple[str, str, str, float]] = []
    for name, table in tables.items():
        rows.append((name, "rows", "all", float(table.num_rows)))
    for name, columns in _SUMS.items():
        rows += [(name, c, "all", _sum(tables[name][c])) for c in columns]
    rows += _ga4_totals(tables["ga4_events"])
    rows += _crm_totals(tables)
    rows += _mrr_totals(history, n_world_months)
    return pa.table(
        {
            "source": [r[0] for r in rows],
            "metric": [r[1] for r in rows],
            "period": [r[2] for r in rows],
            "value": pa.array([r[3] for r in rows], pa.float64()),
        }
    )


def _sum(column: pa.ChunkedArray) -> float:
    total = pc.sum(column).as_py()
    return float(total or 0.0)


def _ga4_totals(events: pa.Table) -> list[tuple[str, str, str, float]]:
    names = pc.value_counts(events["event_name"].combine_chunks().dictionary_decode())
    counts = {v["values"].as_py(): v["counts"].as_py() for v in names}
    rows = [("ga4_events", f"events:{n}", "all", float(counts.get(n, 0))) for n in _GA4_COUNTED]
    purchases = events.filter(pc.equal(events["event_name"], "purchase"))
    rows.append(("ga4_events", "purchase_revenue", "all", _sum(purchases["event_value"])))
    users = pc.count_distinct(events["user_pseudo_id"].combine_chunks().indices).as_py()
    rows.append(("ga4_events", "users", "all", float(users)))
    return rows


def _crm_totals(tables: dict[str, pa.Table]) -> list[tuple[str, str, str, float]]:
    leads = tables["sf_lead"].filter(pc.invert(tables["sf_lead"]["IsDeleted"]))
    opps = tables["sf_opportunity"].filter(pc.invert(tables["sf_opportunity"]["IsDeleted"]))
    won = opps.filter(opps["IsWon"])
    return [
        ("sf_lead", "leads", "all", float(leads.num_rows)),
        ("sf_lead", "converted_leads", "all", float(pc.sum(leads["IsConverted"]).as_py() or 0)),
        ("sf_opportunity", "amount", "all", _sum(opps["Amount"])),
        ("sf_opportunity", "won_deals", "all", float(won.num_rows)),
        ("sf_opportunity", "won_amount", "all", _sum(won["Amount"])),
        ("sf_campaign", "actual_cost", "all", _sum(tables["sf_campaign"]["ActualCost"])),
    ]


def _mrr_totals(history: CustomerHistory, n_world_months: int) -> list[tuple[str, str, str, float]]:
    """MRR on the first day of each world month (exactly what Subscription__c implies)."""
    m0 = history.world_month0
    months = range(m0, m0 + n_world_months)
    active = history.active()
    mrr = np.where(active, history.mrr, 0.0)
    return [
        ("sf_subscription", "mrr", str(history.months[m]), float(np.round(mrr[:, m].sum(), 2)))
        for m in months
    ]
