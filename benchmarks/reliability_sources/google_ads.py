"""Google Ads under faults: the emulator (TLS gRPC, OAuth) on the world, a full-year `ingest`
without lookback, and the world's campaigns, ad groups, ads and daily ad metrics as the truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.reliability_sources import Running, Tuning
from benchmarks.reliability_sources.compare import Truth, renamed


def start(world: Any, faults: Any, home: Path, tuning: Tuning) -> Running:
    from ingestion.common.retry import RetryPolicy
    from sandbox.emulators.google_ads import CONNECTION_ID, GoogleAdsEmulator

    emulator = GoogleAdsEmulator()
    info = emulator.start(world, faults, home)
    env = {f"AIRFLOW_CONN_{CONNECTION_ID.upper()}": json.dumps(info.connections[CONNECTION_ID])}
    window = {"start": world.config.start.isoformat(), "end": world.config.end.isoformat()}
    policy = RetryPolicy(
        attempts=RetryPolicy().attempts,
        base_seconds=tuning.retry_base_seconds,
        max_wait_seconds=tuning.retry_max_wait_seconds,
    )

    def ingest(run_id: str) -> Any:
        from ingestion.google_ads import ingest

        params = {**window, "lookback_days": 0}
        timeout = tuning.timeout_seconds
        return ingest(params, None, run_id, policy=policy, timeout_seconds=timeout, docs=False)

    service = emulator.service
    assert service is not None
    return Running(
        env=env,
        ingest=ingest,
        injected=lambda: dict(service.faults.injected),
        truths=lambda: truths(world, emulator.today),
        stop=emulator.stop,
    )


def truths(world: Any, today: date) -> list[Truth]:
    """The world's Google Ads tables; the daily metrics as the platform reports them `today`."""
    from ingestion.google_ads.schema import AD_GROUPS, AD_METRICS_DAILY, ADS, CAMPAIGNS
    from sandbox.world import platform_view

    tables = world.tables
    campaigns = renamed(
        tables["google_ads_campaigns"],
        {
            "customer_id": "customer_id",
            "campaign_id": "id",
            "name": "name",
            "status": "status",
            "advertising_channel_type": "advertising_channel_type",
            "bidding_strategy_type": "bidding_strategy_type",
            "budget_amount_micros": "campaign_budget_amount_micros",
        },
    )
    bidding = campaigns["bidding_strategy_type"]
    api_bidding = pc.if_else(  # the API's enum spells "Maximize clicks" TARGET_SPEND
        pc.equal(bidding, "MAXIMIZE_CLICKS"), pa.scalar("TARGET_SPEND"), bidding
    )
    index = campaigns.schema.get_field_index("bidding_strategy_type")
    campaigns = campaigns.set_column(index, "bidding_strategy_type", api_bidding)
    groups = renamed(
        tables["google_ads_ad_groups"],
        {
            "customer_id": "customer_id",
            "ad_group_id": "id",
            "campaign_id": "campaign_id",
            "name": "name",
            "status": "status",
            "type": "type",
            "cpc_bid_micros": "cpc_bid_micros",
        },
    )
    ads = tables["google_ads_ads"].select(
        ["customer_id", "ad_group_id", "ad_id", "campaign_id", "status", "type", "final_urls"]
    )
    metrics = platform_view(world, "google_ads_metrics_daily", as_of=today)
    return [
        Truth(CAMPAIGNS.schema.table, CAMPAIGNS.schema.keys, campaigns),
        Truth(AD_GROUPS.schema.table, AD_GROUPS.schema.keys, groups),
        Truth(ADS.schema.table, ADS.schema.keys, ads),
        Truth(AD_METRICS_DAILY.schema.table, AD_METRICS_DAILY.schema.keys, metrics),
    ]
