"""FilterExpression JSON (dimensionFilter, metricFilter) compiled to a parameterised predicate."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from google.analytics.data_v1beta.types import Filter

from sandbox.emulators.ga4.errors import invalid_argument

#: Maps a filter's fieldName to the SQL it filters on (raises for unknown fields).
Resolver = Callable[[str], str]
Compiled = tuple[str, list[Any]]

_MatchType = Filter.StringFilter.MatchType
_Operation = Filter.NumericFilter.Operation
_OPERATORS = {
    "EQUAL": "=",
    "LESS_THAN": "<",
    "LESS_THAN_OR_EQUAL": "<=",
    "GREATER_THAN": ">",
    "GREATER_THAN_OR_EQUAL": ">=",
}


def enum_name(enum: type[IntEnum], raw: Any, field: str) -> str:
    """An enum sent as its number (`enum-encoding=int`) or its name, as the member's name."""
    try:
        return enum(int(raw)).name if str(raw).isdigit() else enum[str(raw)].name
    except (KeyError, ValueError):
        raise invalid_argument(f"Invalid value at '{field}': {raw}") from None


def compile_expression(expression: dict[str, Any], resolve: Resolver) -> Compiled:
    """SQL for one FilterExpression (andGroup, orGroup, notExpression or filter)."""
    if "andGroup" in expression or "orGroup" in expression:
        key, joiner = ("andGroup", " AND ") if "andGroup" in expression else ("orGroup", " OR ")
        parts = [compile_expression(e, resolve) for e in expression[key].get("expressions", [])]
        if not parts:
            return "TRUE", []
        return "(" + joiner.join(sql for sql, _ in parts) + ")", [p for _, ps in parts for p in ps]
    if "notExpression" in expression:
        sql, params = compile_expression(expression["notExpression"], resolve)
        return f"NOT ({sql})", params
    if "filter" in expression:
        return _compile_filter(expression["filter"], resolve)
    raise invalid_argument(
        "FilterExpression must set one of andGroup, orGroup, notExpression or filter."
    )


def _compile_filter(spec: dict[str, Any], resolve: Resolver) -> Compiled:
    column = resolve(spec.get("fieldName", ""))
    if "stringFilter" in spec:
        return _string(column, spec["stringFilter"])
    if "inListFilter" in spec:
        return _in_list(column, spec["inListFilter"])
    if "numericFilter" in spec:
        numeric = spec["numericFilter"]
        operation = enum_name(_Operation, numeric.get("operation", 0), "numericFilter.operation")
        if operation not in _OPERATORS:
            raise invalid_argument("numericFilter.operation must be specified.")
        return f"TRY_CAST({column} AS DOUBLE) {_OPERATORS[operation]} ?", [
            _number(numeric.get("value", {}))
        ]
    if "betweenFilter" in spec:
        between = spec["betweenFilter"]
        bounds = [_number(between.get("fromValue", {})), _number(between.get("toValue", {}))]
        return f"TRY_CAST({column} AS DOUBLE) BETWEEN ? AND ?", bounds
    if "emptyFilter" in spec:
        return f"({column} = '' OR {column} = '(not set)')", []
    raise invalid_argument(f"Filter on {spec.get('fieldName')} sets no filter type.")


def _string(column: str, spec: dict[str, Any]) -> Compiled:
    match = enum_name(_MatchType, spec.get("matchType", 1), "stringFilter.matchType")
    value = spec.get("value", "")
    if match in ("FULL_REGEXP", "PARTIAL_REGEXP"):
        function = "regexp_full_match" if match == "FULL_REGEXP" else "regexp_matches"
        flags = "'c'" if spec.get("caseSensitive") else "'i'"
        return f"{function}({column}, ?, {flags})", [value]
    if not spec.get("caseSensitive"):
        column, value = f"lower({column})", value.lower()
    template = {
        "EXACT": "{c} = ?",
        "BEGINS_WITH": "starts_with({c}, ?)",
        "ENDS_WITH": "ends_with({c}, ?)",
        "CONTAINS": "contains({c}, ?)",
        "MATCH_TYPE_UNSPECIFIED": "{c} = ?",
    }[match]
    return template.format(c=column), [value]


def _in_list(column: str, spec: dict[str, Any]) -> Compiled:
    values = list(spec.get("values", []))
    if not values:
        return "FALSE", []
    if not spec.get("caseSensitive"):
        column, values = f"lower({column})", [v.lower() for v in values]
    return f"{column} IN ({', '.join('?' * len(values))})", values


def _number(value: dict[str, Any]) -> float:
    """A NumericValue: int64Value arrives as a JSON string, doubleValue as a number."""
    if "int64Value" in value:
        return float(int(value["int64Value"]))
    return float(value.get("doubleValue", 0.0))
