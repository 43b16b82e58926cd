"""generate(config): run every simulation step in causal order and collect tables and truth."""

from __future__ import annotations

from time import perf_counter

import pyarrow as pa

from sandbox.world.alert_plants import alert_truth, break_tracking
from sandbox.world.attribution import conversions, google_click_attribution, meta_click_attribution
from sandbox.world.channel_truth import channel_truth
from sandbox.world.config import WorldConfig
from sandbox.world.crm import build_crm
from sandbox.world.delivery import simulate_delivery
from sandbox.world.experiment_truth import experiment_truth
from sandbox.world.ga4_events import build_ga4_events
from sandbox.world.google_ads import google_tables
from sandbox.world.media_plan import build_media_plan
from sandbox.world.meta_ads import meta_tables
from sandbox.world.timeline import Timeline
from sandbox.world.totals import totals
from sandbox.world.truth import (
    churn_truth,
    lead_truth,
    ltv_customer_truth,
    ltv_truth,
    media_daily_truth,
    model_truth,
    response_curve_truth,
)
from sandbox.world.web import simulate_web
from sandbox.world.world import World


def generate(config: WorldConfig) -> World:
    """Simulate a world: paid media → website → CRM → customers, plus the ground truth."""
    started = perf_counter()
    timeline = Timeline(config)
    plan = build_media_plan(config)
    delivery = simulate_delivery(config, timeline, plan)
    web = simulate_web(config, timeline, plan, delivery)
    ga4_events = build_ga4_events(config, web)
    found = conversions(web)
    meta_attributed = meta_click_attribution(web, found)
    google_attributed = google_click_attribution(web, found, config.conversion_window_days_google)
    google_attributed = break_tracking(plan, delivery.plants, google_attributed)
    tables: dict[str, pa.Table] = {
        **meta_tables(config, timeline, plan, delivery, meta_attributed),
        **google_tables(config, timeline, plan, web.site, delivery, google_attributed),
        "ga4_events": ga4_events,
    }
    crm = build_crm(config, timeline, plan, delivery, web, ga4_events)
    tables.update(crm.tables)
    n_months = len(timeline.months)
    leads = lead_truth(crm.leads)
    churn = churn_truth(crm.history, crm.accounts["Id"].to_numpy(), n_months)
    truth = {
        "lead_truth": leads,
        "churn_truth": churn,
        "channel_truth": channel_truth(web),
        "response_curve_truth": response_curve_truth(config, plan, delivery),
        "media_daily_truth": media_daily_truth(timeline, plan, delivery),
        "ltv_truth": ltv_truth(),
        "ltv_customer_truth": ltv_customer_truth(web.purchases, web.users["pseudo_id"].to_numpy()),
        "experiment_truth": experiment_truth(web, timeline),
        "model_truth": model_truth(leads, churn),
        "totals": totals(tables, crm.history, n_months),
        "alert_truth": alert_truth(timeline, plan, delivery.plants, tables),
    }
    return World(config, tables, truth, generation_seconds=perf_counter() - started)
