"""Runs a validated `ReportQuery` on the prepared event table and shapes a RunReportResponse."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
from google.analytics.data_v1beta.types import MetricType, OrderBy

from sandbox.emulators.ga4.catalog import DIMENSIONS, METRICS, Metric
from sandbox.emulators.ga4.errors import unknown_field
from sandbox.emulators.ga4.filters import compile_expression, enum_name
from sandbox.emulators.ga4.request import ReportQuery

_OrderType = OrderBy.DimensionOrderBy.OrderType


def run_report(
    connection: duckdb.DuckDBPyConnection, table: str, query: ReportQuery
) -> tuple[list[list[Any]], int]:
    """The requested page of rows (dimension values then metric values) and the total row count."""
    sql, params = _grouped_sql(table, query)
    order = _order_sql(query)
    page = connection.execute(
        f"SELECT *, count(*) OVER () AS _row_count FROM ({sql}) ORDER BY {order} "
        f"LIMIT {query.limit} OFFSET {query.offset}",
        params,
    ).fetchall()
    if page:
        return [list(row[:-1]) for row in page], page[0][-1]
    total = connection.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()
    return [], int(total[0]) if total else 0


def _grouped_sql(table: str, query: ReportQuery) -> tuple[str, list[Any]]:
    params: list[Any] = []
    scoped = []
    for date_range in query.date_ranges:
        scoped.append(f'SELECT *, ? AS "dateRange" FROM {table} WHERE _day BETWEEN ? AND ?')
        params += [date_range.name, date_range.start, date_range.end]
    where = "TRUE"
    if query.dimension_filter:
        where, filter_params = compile_expression(query.dimension_filter, _dimension_column)
        params += filter_params
    columns = [f'"{name}" AS d_{k}' for k, name in enumerate(query.dimensions)]
    columns += [f"{METRICS[name].sql} AS m_{k}" for k, name in enumerate(query.metrics)]
    group_by = ", ".join(f'"{name}"' for name in query.dimensions)
    sql = f"SELECT {', '.join(columns)} FROM ({' UNION ALL '.join(scoped)}) WHERE {where}" + (
        f" GROUP BY {group_by}" if group_by else ""
    )
    outer = []
    if query.metric_filter:
        having, having_params = compile_expression(query.metric_filter, _metric_column(query))
        outer.append(having)
        params += having_params
    if query.metrics and not query.keep_empty_rows:
        outer.append(
            "NOT ("
            + " AND ".join(f"coalesce(m_{k}, 0) = 0" for k in range(len(query.metrics)))
            + ")"
        )
    if outer:
        sql = f"SELECT * FROM ({sql}) WHERE {' AND '.join(outer)}"
    return sql, params


def _dimension_column(name: str) -> str:
    if name not in DIMENSIONS:
        raise unknown_field(name, "dimension")
    return f'"{name}"'


def _metric_column(query: ReportQuery) -> Any:
    def resolve(name: str) -> str:
        if name not in query.metrics:
            raise unknown_field(name, "metric")
        k = query.metrics.index(name)
        return f"(m_{k} / {METRICS[name].scale})"

    return resolve


def _order_sql(query: ReportQuery) -> str:
    """The requested orderBys, then every dimension ascending so pages never overlap."""
    terms = []
    for order_by in query.order_bys:
        direction = "DESC" if order_by.get("desc") else "ASC"
        if "metric" in order_by:
            k = query.metrics.index(order_by["metric"]["metricName"])
            terms.append(f"m_{k} {direction} NULLS LAST")
            continue
        spec = order_by["dimension"]
        column = f"d_{query.dimensions.index(spec['dimensionName'])}"
        order_type = enum_name(_OrderType, spec.get("orderType", 1), "orderType")
        if order_type == "CASE_INSENSITIVE_ALPHANUMERIC":
            column = f"lower({column})"
        elif order_type == "NUMERIC":
            column = f"TRY_CAST({column} AS DOUBLE)"
        terms.append(f"{column} {direction} NULLS LAST")
    terms += [f"d_{k} ASC" for k in range(len(query.dimensions))]
    return ", ".join(terms) or "1"


def metric_type(name: str, int_enums: bool) -> str | int:
    """A MetricType as sent back: its number when the client asked for `enum-encoding=int`."""
    return MetricType[name].value if int_enums else name


def format_value(metric: Metric, value: Any) -> str:
    """A metric value as the API writes it: integers plain, currency exact, ratios as floats."""
    if value is None:
        return "0"
    if metric.type == "TYPE_FLOAT":
        return repr(float(value))
    if metric.scale != 1:
        return format((Decimal(int(value)) / metric.scale).normalize(), "f")
    return str(int(value))


def report_response(
    query: ReportQuery,
    rows: list[list[Any]],
    row_count: int,
    metadata: dict[str, str],
    int_enums: bool,
) -> dict[str, Any]:
    """A RunReportResponse in proto3 JSON (empty `rows` and zero `rowCount` left out)."""
    n = len(query.dimensions)
    metrics = [METRICS[name] for name in query.metrics]
    response: dict[str, Any] = {
        "dimensionHeaders": [{"name": name} for name in query.dimensions],
        "metricHeaders": [
            {"name": m.api_name, "type": metric_type(m.type, int_enums)} for m in metrics
        ],
    }
    if rows:
        response["rows"] = [
            {
                "dimensionValues": [{"value": str(v)} for v in row[:n]],
                "metricValues": [
                    {"value": format_value(m, v)} for m, v in zip(metrics, row[n:], strict=True)
                ],
            }
            for row in rows
        ]
    if row_count:
        response["rowCount"] = row_count
    response["metadata"] = metadata
    response["kind"] = "analyticsData#runReport"
    return response
