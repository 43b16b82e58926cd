"""The daily Data API report stream: windows of days, reconciled with GA4's totals, merged."""

from __future__ import annotations

import logging
from datetime import date

import pyarrow as pa

from ingestion.common.contracts import contract
from ingestion.common.loader import WindowResult, load_window
from ingestion.common.metadata import LoadContext
from ingestion.common.quality import QualityGate
from ingestion.common.windows import windows
from mdp.warehouse import Warehouse

from .client import Ga4ReportClient
from .schema import ADDITIVE_METRICS, column_name, report_schema

log = logging.getLogger(__name__)


def _with_property(page: pa.Table, property_id: str) -> pa.Table:
    return page.add_column(
        0, "property_id", pa.repeat(pa.scalar(property_id, pa.string()), page.num_rows)
    )


def _source_totals(
    client: Ga4ReportClient, window: tuple[date, date], totals: dict[str, float] | None
) -> dict[str, float] | None:
    """GA4's own totals of the additive metrics: from the report's totals row when the API
    returns one (metricAggregations), else from a second query without dimensions."""
    additive = [m for m in client.config.metrics if m in ADDITIVE_METRICS]
    if not additive:
        return None
    if totals is not None:
        return {column_name(m): totals[column_name(m)] for m in additive}
    return client.totals(*window, additive)


def load_reports(
    warehouse: Warehouse,
    client: Ga4ReportClient,
    first: date,
    last: date,
    context: LoadContext,
    gate: QualityGate | None,
) -> list[WindowResult]:
    """Pull and load first..last, one window (one paged report) at a time."""
    config = client.config
    # the Data API answers with exactly the fields asked for; the contract is applied for renames
    schema = contract("ga4", "report_daily").apply(report_schema(config.dimensions, config.metrics))
    results = []
    for window in windows(first, last, config.days_per_request):
        pages, totals = client.report(*window)
        batches = [_with_property(p, str(config.property_id)) for p in pages]
        source_totals = _source_totals(client, window, totals) if batches else None
        result = load_window(warehouse, schema, batches, window, context, gate, source_totals)
        log.info(
            "GA4 report %s..%s: %d row(s) %s; %s",
            *window,
            result.rows,
            "merged" if result.loaded else "QUARANTINED",
            client.quota_summary(),
        )
        results.append(result)
    return results
