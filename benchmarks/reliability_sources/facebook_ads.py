"""Meta Ads under faults: the Graph emulator on the world, a full-year `ingest` without
lookback (async report jobs), and the world's campaigns, ad sets, ads and daily ad insights as
the truth."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.reliability_sources import Running, Tuning
from benchmarks.reliability_sources.compare import Truth, renamed

#: raw.facebook_ads_insights column → world column, for the connection's default attribution
#: windows (7-day click, 1-day view).
INSIGHT_COLUMNS = {
    "account_id": "account_id",
    "ad_id": "ad_id",
    "date_start": "date",
    "campaign_id": "campaign_id",
    "adset_id": "adset_id",
    "spend": "spend",
    "impressions": "impressions",
    "clicks": "clicks",
    "reach": "reach",
    "inline_link_clicks": "inline_link_clicks",
    **{
        f"{stem}s_{window}": f"{stem}_{window}"
        for stem in ("lead", "purchase")
        for window in ("7d_click", "1d_view")
    },
    **{
        f"{stem}_value_{window}": f"{stem}_value_{window}"
        for stem in ("lead", "purchase")
        for window in ("7d_click", "1d_view")
    },
}


def start(world: Any, faults: Any, home: Path, tuning: Tuning) -> Running:
    from sandbox.emulators.facebook_ads.emulator import CONNECTION_ID, FacebookAdsEmulator

    emulator = FacebookAdsEmulator()
    info = emulator.start(world, faults, home)
    connection = info.connections[CONNECTION_ID]
    connection["extra"].update(
        {
            "request_timeout_seconds": tuning.timeout_seconds,
            "max_retry_wait_seconds": tuning.retry_max_wait_seconds,
            "async_poll_seconds": 0.01,  # the emulator finishes a job after a few polls
        }
    )
    env = {f"AIRFLOW_CONN_{CONNECTION_ID.upper()}": json.dumps(connection)}
    params = {
        "start": world.config.start.isoformat(),
        "end": world.config.end.isoformat(),
        "lookback_days": 0,
    }

    def ingest(run_id: str) -> Any:
        from ingestion.facebook_ads import ingest

        return ingest(params, None, run_id)

    app = emulator.app
    assert app is not None
    return Running(
        env=env,
        ingest=ingest,
        injected=lambda: dict(app.injector.injected),
        truths=lambda: truths(world, app.today),
        stop=emulator.stop,
    )


def truths(world: Any, today: date) -> list[Truth]:
    """The world's Meta objects, and its insights as the platform reports them `today`."""
    from ingestion.facebook_ads.schema import ADS, ADSETS, CAMPAIGNS, INSIGHTS
    from sandbox.world import platform_view

    tables = world.tables
    campaigns = tables["meta_campaigns"].select(
        ["id", "account_id", "name", "status", "objective", "daily_budget", "updated_time"]
    )
    adsets = tables["meta_adsets"].select(
        ["id", "campaign_id", "name", "status", "daily_budget", "updated_time"]
    )
    ads = tables["meta_ads"].select(["id", "adset_id", "campaign_id", "name", "status"])
    insights = renamed(platform_view(world, "meta_ad_insights_daily", as_of=today), INSIGHT_COLUMNS)
    return [
        Truth(CAMPAIGNS.table, CAMPAIGNS.keys, campaigns),
        Truth(ADSETS.table, ADSETS.keys, adsets),
        Truth(ADS.table, ADS.keys, ads),
        Truth(INSIGHTS.table, INSIGHTS.keys, insights),
    ]
