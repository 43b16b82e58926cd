"""RunReportRequest JSON (camelCase, int64 as strings) validated into a `ReportQuery`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sandbox.emulators.ga4.catalog import DIMENSIONS, METRICS
from sandbox.emulators.ga4.errors import invalid_argument, unknown_field

DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
MAX_DIMENSIONS = 9
MAX_METRICS = 10
MAX_DATE_RANGES = 4
_DAYS_AGO = re.compile(r"^(\d+)daysAgo$")


@dataclass(frozen=True)
class DateRange:
    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class ReportQuery:
    """A validated report request; `dimensions` includes `dateRange` when ranges are compared."""

    dimensions: list[str]
    metrics: list[str]
    date_ranges: list[DateRange]
    dimension_filter: dict[str, Any] | None = None
    metric_filter: dict[str, Any] | None = None
    order_bys: list[dict[str, Any]] = field(default_factory=list)
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    keep_empty_rows: bool = False


def parse_report_request(body: dict[str, Any], today: date) -> ReportQuery:
    """Validate a RunReportRequest the way the Data API does, resolving relative dates."""
    dimensions = _names(body.get("dimensions", []), DIMENSIONS, "dimension", MAX_DIMENSIONS)
    metrics = _names(body.get("metrics", []), METRICS, "metric", MAX_METRICS)
    if not dimensions and not metrics:
        raise invalid_argument("A report request must have at least one dimension or metric.")
    ranges = [_date_range(spec, k, today) for k, spec in enumerate(body.get("dateRanges", []))]
    if not ranges:
        raise invalid_argument("Must specify at least one date range.")
    if len(ranges) > MAX_DATE_RANGES:
        raise invalid_argument(f"Requests are limited to {MAX_DATE_RANGES} date ranges.")
    if len(ranges) > 1 and "dateRange" not in dimensions:
        dimensions.append("dateRange")
    query = ReportQuery(
        dimensions=dimensions,
        metrics=metrics,
        date_ranges=ranges,
        dimension_filter=body.get("dimensionFilter"),
        metric_filter=body.get("metricFilter"),
        order_bys=list(body.get("orderBys", [])),
        offset=_int(body, "offset", 0),
        limit=min(_int(body, "limit", 0) or DEFAULT_LIMIT, MAX_LIMIT),
        keep_empty_rows=bool(body.get("keepEmptyRows", False)),
    )
    _check_order_bys(query)
    return query


def _names(items: list[dict[str, Any]], known: dict[str, Any], kind: str, most: int) -> list[str]:
    names = []
    for item in items:
        name = item.get("name", "")
        if "expression" in item:
            raise invalid_argument(f"Custom {kind} expressions are not supported: {name}.")
        if name not in known:
            raise unknown_field(name, kind)
        names.append(name)
    if len(set(names)) != len(names):
        raise invalid_argument(f"Duplicate {kind} names in the request: {names}.")
    if len(names) > most:
        raise invalid_argument(f"Requests are limited to {most} {kind}s; found {len(names)}.")
    return names


def _int(body: dict[str, Any], key: str, default: int) -> int:
    try:
        value = int(body.get(key, default))
    except (TypeError, ValueError):
        raise invalid_argument(f"Invalid value at '{key}' (TYPE_INT64), {body[key]!r}") from None
    if value < 0:
        raise invalid_argument(f"{key} must be positive: {value}.")
    return value


def _date_range(spec: dict[str, Any], index: int, today: date) -> DateRange:
    start = resolve_date(spec.get("startDate", ""), today, "startDate")
    end = resolve_date(spec.get("endDate", ""), today, "endDate")
    if start > end:
        raise invalid_argument(f"Date range startDate {start} cannot be after endDate {end}.")
    name = spec.get("name", "")
    if name.startswith(("date_range_", "RESERVED_")):
        raise invalid_argument(f"Date range name {name} cannot begin with date_range_ or RESERVED_")
    return DateRange(name or f"date_range_{index}", start, end)


def resolve_date(text: str, today: date, field_name: str) -> date:
    """`YYYY-MM-DD`, `today`, `yesterday` or `NdaysAgo`, relative to the property's today."""
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    days_ago = _DAYS_AGO.match(text)
    if days_ago:
        return today - timedelta(days=int(days_ago.group(1)))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid_argument(
            f"Invalid {field_name}: '{text}'. Use YYYY-MM-DD, NdaysAgo, yesterday, or today."
        ) from None


def _check_order_bys(query: ReportQuery) -> None:
    for order_by in query.order_bys:
        if "metric" in order_by:
            name = order_by["metric"].get("metricName", "")
            if name not in query.metrics:
                raise invalid_argument(
                    f"OrderBy metric {name} must be one of the request's metrics."
                )
        elif "dimension" in order_by:
            name = order_by["dimension"].get("dimensionName", "")
            if name not in query.dimensions:
                raise invalid_argument(
                    f"OrderBy dimension {name} must be one of the request's dimensions."
                )
        else:
            raise invalid_argument("OrderBy must set metric or dimension.")
