"""Meta Ads (Marketing API): campaigns, ad sets, ads and daily ad-level insights into raw."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from ingestion.common.loader import WindowResult
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate, shared_gate
from ingestion.common.state import StreamState
from ingestion.common.windows import with_lookback
from mdp.warehouse import Warehouse

from .client import GraphClient
from .config import MetaConfig
from .errors import QuarantinedWindowsError
from .schema import INSIGHTS, RAW_TABLES
from .sync import AccountSync

__all__ = ["RAW_TABLES", "MetaConfig", "ingest", "pull_window", "sync"]

log = logging.getLogger(__name__)
SOURCE = "facebook_ads"
INSIGHTS_STREAM = "insights"


def load_config(conn_id: str) -> MetaConfig:
    """The connector's settings from an Airflow connection (extra as in the README)."""
    from mdp.runtime.connections import get_connection

    return MetaConfig.from_extra(get_connection(conn_id).extra_dejson, conn_id)


def pull_window(
    first: date, last: date, lookback_days: int, cursor: date | None, backfill: bool
) -> tuple[date, date]:
    """The insights days a run pulls: its window, extended back to the day after the stored
    cursor when scheduled runs were missed, then by the restatement lookback."""
    if cursor is not None and not backfill:
        first = min(first, cursor + timedelta(days=1))
    return with_lookback(first, last, lookback_days)


def sync(
    warehouse: Warehouse,
    client: GraphClient,
    first: date,
    last: date,
    run_id: str,
    backfill: bool = False,
    gate: QualityGate | None = None,
) -> dict[str, Any]:
    """Load every stream of every account for the run window [first, last]; a summary.

    Bad records are quarantined on their own and listed in the summary (`quarantined_records`);
    raises QuarantinedWindowsError naming each refused window after loading all the others, and
    StateError when the stored cursor is not a usable day."""
    config = client.config
    state = StreamState(warehouse, SOURCE)
    cursor = state.cursor_date(INSIGHTS_STREAM)
    pull_first, pull_last = pull_window(first, last, config.lookback_days, cursor, backfill)
    context = LoadContext(run_id)
    results: list[WindowResult] = []
    for account_id in config.account_ids:
        account = AccountSync(client, warehouse, context, gate, account_id)
        account.objects((first, last))
        account.insights(pull_first, pull_last)
        results += account.results
    _advance(state, cursor, results, pull_last)
    summary = _summary(results, first, last, pull_first, client.requests)
    bad = summary["quarantined_records"]
    if bad:
        log.warning(
            "facebook_ads: %s; the rest of their windows loaded (see quarantine.<table>)",
            ", ".join(f"{n} bad record(s) of {table}" for table, n in bad.items()),
        )
    failures = []
    if summary["quarantined"]:
        failures.append(
            f"{len(summary['quarantined'])} window(s) quarantined (the other windows were "
            "loaded): " + " | ".join(summary["quarantined"])
        )
    if summary["stopped"]:
        failures.append(
            f"{len(summary['stopped'])} stream(s) stopped by a schema change (their previous "
            "data kept): " + " | ".join(summary["stopped"])
        )
    if failures:
        raise QuarantinedWindowsError("facebook_ads: " + "; ".join(failures))
    return summary


def _advance(
    state: StreamState, current: date | None, results: list[WindowResult], last: date
) -> None:
    """Move the insights cursor to `last` only when every insights window loaded (its bad
    records, if any, quarantined alone), so a refused window is pulled again by the next run
    even beyond the lookback."""
    insights = [r for r in results if r.table == INSIGHTS.table]
    if not all(r.loaded for r in insights):
        return
    if current is None or current < last:
        state.advance(INSIGHTS_STREAM, last.isoformat())


def _summary(
    results: list[WindowResult], first: date, last: date, pull_first: date, requests: int
) -> dict[str, Any]:
    rows: dict[str, int] = {}
    bad: dict[str, int] = {}
    for result in results:
        if result.loaded:
            rows[result.table] = rows.get(result.table, 0) + result.rows
        if result.quarantined_rows:
            bad[result.table] = bad.get(result.table, 0) + result.quarantined_rows
    # a refused window is in quarantine (batch id); a stream its contract stopped is not
    refused = [r for r in results if not r.loaded and r.batch_id]
    stopped = [r for r in results if not r.loaded and not r.batch_id]
    return {
        "source": SOURCE,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "insights_from": pull_first.isoformat(),
        "windows": len(results),
        "rows": rows,
        "requests": requests,
        "quarantined": [f"{r.table} {r.first}..{r.last}: {r.reason}" for r in refused],
        "quarantined_records": bad,
        "stopped": [f"{r.table}: {r.reason}" for r in stopped],
    }


def ingest(
    params: Mapping[str, Any], interval_start: datetime | None, run_id: str | None
) -> dict[str, Any]:
    """What `ingest_facebook_ads` and `mdp ingest facebook_ads` run: connection from settings,
    window from the run (params start/end backfill, else the data interval's day)."""
    from mdp.runtime.dates import run_window
    from mdp.settings import get_settings
    from mdp.warehouse import get_warehouse

    first, last = run_window(params, interval_start)
    settings = get_settings()
    conn_id = settings.connections.facebook_ads
    config = load_config(conn_id).with_params(params)
    backfill = bool(params.get("start") or params.get("end"))
    client = GraphClient(config, reload_token=lambda: load_config(conn_id).access_token)
    gate = shared_gate()
    try:
        with get_warehouse(settings) as warehouse:
            return sync(
                warehouse,
                client,
                first,
                last,
                run_id or f"manual-{uuid.uuid4().hex[:8]}",
                backfill,
                gate,
            )
    finally:
        gate.publish_docs()
