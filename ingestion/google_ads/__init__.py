"""Google Ads: campaigns, ad groups, ads and daily ad metrics via GAQL SearchStream."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ingestion.common.metadata import LoadContext
from ingestion.common.quality import shared_gate
from ingestion.common.retry import RetryPolicy
from mdp.errors import ConfigError
from mdp.runtime.connections import get_connection
from mdp.runtime.dates import run_window
from mdp.settings import get_settings
from mdp.warehouse import get_warehouse

from .client import AdsApi, AdsConnection
from .errors import GoogleAdsQuarantineError, GoogleAdsSourceError
from .schema import RAW_TABLES
from .sync import DEFAULT_LOOKBACK_DAYS, SyncOptions, SyncSummary, pull_window, sync

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LOOKBACK_DAYS",
    "RAW_TABLES",
    "AdsApi",
    "AdsConnection",
    "GoogleAdsQuarantineError",
    "GoogleAdsSourceError",
    "SyncOptions",
    "SyncSummary",
    "ingest",
    "options_from",
    "pull_window",
    "sync",
]


def options_from(params: Mapping[str, Any], base: SyncOptions) -> SyncOptions:
    """Run params that tune a run (`lookback_days`, `window_days`) over the defaults; a
    ConfigError when one is not a whole number (at least 0, or 1 for `window_days`)."""
    values: dict[str, Any] = {}
    for name, least in (("lookback_days", 0), ("window_days", 1)):
        value = params.get(name)
        if value is None:
            continue
        if not str(value).isdigit() or int(value) < least:
            raise ConfigError(
                f"param {name} must be a whole number of days >= {least}, got {value!r}"
            )
        values[name] = int(value)
    return dataclasses.replace(base, **values)


def ingest(
    params: Mapping[str, Any],
    interval_start: datetime | None,
    run_id: str | None,
    *,
    options: SyncOptions | None = None,
    policy: RetryPolicy | None = None,
    timeout_seconds: float = 600.0,
    docs: bool = True,
) -> dict[str, Any]:
    """Load the run's window (params start/end, else the data interval's day) plus the lookback.

    Every window is merged minus its bad records, which are quarantined alone and counted in
    the summary (`quarantined_records`); then, if any window was refused whole (a window rule
    failed or it held too many bad records), raise one error naming each and why.
    """
    window = run_window(params, interval_start)
    settings = get_settings()
    conn_id = settings.connections.google_ads
    connection = AdsConnection.from_airflow(conn_id, get_connection(conn_id))
    api = AdsApi(connection, policy or RetryPolicy(), timeout_seconds)
    run_options = options_from(params, options or SyncOptions())
    gate = shared_gate(docs)
    context = LoadContext(run_id or "manual")
    try:
        with get_warehouse(settings) as warehouse:
            summary = sync(warehouse, api, window, context, gate, run_options)
    finally:
        gate.publish_docs()  # once per run: rendering per batch would cost more than validating
    result = summary.as_dict()
    log.info("google_ads: %s", result)
    if summary.quarantined_records:
        log.warning(
            "google_ads: %s; the rest of their windows loaded (see quarantine.<table>)",
            ", ".join(f"{n} bad record(s) of {t}" for t, n in summary.quarantined_records.items()),
        )
    if summary.quarantined:
        lines = [f"{r.table} {r.first}..{r.last}: {r.reason}" for r in summary.quarantined]
        raise GoogleAdsQuarantineError(
            f"google_ads: {len(lines)} window(s) quarantined, the rest loaded "
            f"({summary.first}..{summary.last}):\n" + "\n".join(lines)
        )
    return result
