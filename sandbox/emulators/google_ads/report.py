"""Runs a checked GAQL query on the account frames: filter, sum metrics per key, order, limit."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sandbox.emulators.google_ads.catalog import CheckedQuery, Field, Filter
from sandbox.emulators.google_ads.tables import KEYS, AccountTables

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Result:
    """Rows to return (LIMIT applied) and how many matched before LIMIT."""

    rows: pd.DataFrame
    total: int


def run(
    query: CheckedQuery, customer_id: int, tables: AccountTables, metrics: pd.DataFrame
) -> Result:
    """Evaluate `query` for one customer; metric rows come from the platform's current view."""
    base = tables.frames[query.resource]
    base = _apply(base[base["customer.id"] == customer_id], _attribute_filters(query))
    if query.has_metrics:
        base = _with_metrics(query, base, metrics[metrics["customer.id"] == customer_id])
    ordered = _order(base, query)
    limited = ordered.head(query.limit) if query.limit else ordered
    return Result(limited.reset_index(drop=True), len(ordered))


def _attribute_filters(query: CheckedQuery) -> list[Filter]:
    return [f for f in query.filters if not (f.field.is_metric or f.field.is_segment)]


def _with_metrics(query: CheckedQuery, base: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Sum daily ad rows per resource key and selected segments (segments filter first, as the
    API does; metric conditions apply to the sums)."""
    rows = _apply(metrics, [f for f in query.filters if f.field.is_segment])
    keys = list(KEYS[query.resource])
    group = keys + _segments(query)
    measures = [c for c in rows.columns if c.startswith("metrics.")]
    summed = rows.groupby(group, as_index=False, sort=False)[measures].sum()
    joined = base.merge(summed, on=keys, how="inner")
    return _apply(joined, [f for f in query.filters if f.field.is_metric])


def _segments(query: CheckedQuery) -> list[str]:
    fields: Iterable[Field] = [*query.select, *(field for field, _ in query.ordering)]
    return list(dict.fromkeys(f.name for f in fields if f.is_segment))


def _apply(frame: pd.DataFrame, filters: list[Filter]) -> pd.DataFrame:
    for condition in filters:
        frame = frame[_mask(frame[condition.field.name], condition)]
    return frame


def _mask(column: pd.Series, condition: Filter) -> pd.Series:
    if condition.operator == "IN":
        return column.isin(condition.values)
    if condition.operator == "NOT IN":
        return ~column.isin(condition.values)
    if condition.operator == "BETWEEN":
        low, high = condition.values
        return (column >= low) & (column <= high)
    return _COMPARE[condition.operator](column, condition.values[0])


def _order(frame: pd.DataFrame, query: CheckedQuery) -> pd.DataFrame:
    """Explicit ORDER BY terms; ties (and unordered queries) follow key and segment order, so
    paging is stable."""
    natural = [c for c in [*KEYS[query.resource], *_segments(query)] if c in frame.columns]
    frame = frame.sort_values(natural, kind="mergesort")
    if not query.ordering:
        return frame
    columns = [field.name for field, _ in query.ordering]
    ascending = [not descending for _, descending in query.ordering]
    return frame.sort_values(columns, ascending=ascending, kind="mergesort")
