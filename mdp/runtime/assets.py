"""Airflow Assets for warehouse tables, so DAGs can be scheduled on the data they need."""

from __future__ import annotations

from airflow.sdk import Asset


def table_asset(table: str) -> Asset:
    """The Asset for a logical `schema.table` (the same URI whatever the backend)."""
    schema, name = table.split(".")
    return Asset(name=table, uri=f"mdp://warehouse/{schema}/{name}", group="warehouse")


RAW_GA4_EVENTS = table_asset("raw.ga4_events")

#: One table per source whose update means that source's run landed: transform waits for all.
SOURCES_LANDED = (
    RAW_GA4_EVENTS,
    table_asset("raw.facebook_ads_insights"),
    table_asset("raw.google_ads_ad_metrics_daily"),
    table_asset("raw.salesforce_opportunity"),
)

#: The marts analysts, ML and activation read: the transform DAG's outlets.
MARTS = tuple(
    table_asset(f"marts.{name}")
    for name in (
        "fct_ad_performance_daily",
        "fct_sessions",
        "fct_leads",
        "fct_opportunities",
        "fct_attribution_credits",
        "fct_channel_roi_daily",
        "fct_mrr_monthly",
        "fct_customer_months",
        "fct_experiment_results",
    )
)

#: The marts the scoring DAG reads: it runs when all of them have been rebuilt. Its outlets,
#: one score table per model, come from the catalogue (ml/catalog.py).
SCORING_INPUTS = tuple(
    table_asset(f"marts.{name}")
    for name in (
        "fct_leads",
        "fct_sessions",
        "fct_customer_months",
        "fct_mrr_monthly",
        "fct_channel_roi_daily",
    )
)
