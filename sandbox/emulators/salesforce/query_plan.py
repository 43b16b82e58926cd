"""SOQL semantics: check a parsed query against the schema, then filter, sort and project rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import no_such_column, soql_error, unsupported_object
from .schema import NUMBER_TYPES, STRING_TYPES, FieldSpec
from .soql import Comparison, Condition, FieldRef, Junction, Literal, Negation, Query, parse
from .store import SObjectTable, Store

Predicate = Callable[[dict[str, Any]], bool]
_LITERAL_KINDS = {"datetime": {"datetime"}, "date": {"date"}, "boolean": {"boolean"}}
_SOAP_NAME = {"datetime": "dateTime", "date": "date", "boolean": "boolean"}
_ORDERING = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Plan:
    """A validated query: which table, which fields, and how to filter and order its rows."""

    query: Query
    table: SObjectTable
    fields: tuple[str, ...]
    predicate: Predicate

    @property
    def sobject(self) -> str:
        return self.table.schema.name

    def run(self, store: Store, include_deleted: bool) -> list[tuple[str, dict[str, Any]]]:
        """(Id, row projected onto the selected fields) of the matching rows, ordered and limited:
        a snapshot that later writes do not change."""
        with store.locked():
            rows = [
                row
                for row in self.table.rows
                if (include_deleted or not row["IsDeleted"]) and self.predicate(row)
            ]
            rows = _sorted(rows, self)
            end = None if self.query.limit is None else self.query.offset + self.query.limit
            rows = rows[self.query.offset : end]
            return [(row["Id"], {name: row.get(name) for name in self.fields}) for row in rows]


def plan(store: Store, text: str) -> Plan:
    """Parse and validate SOQL against the store's schema (INVALID_TYPE / INVALID_FIELD)."""
    query = parse(text)
    table = store.resolve(query.sobject.name)
    if table is None:
        raise unsupported_object(text, query.sobject.column, query.sobject.name)
    fields = tuple(_spec(query, table, ref).name for ref in query.fields)
    for ordering in query.order_by:
        _spec(query, table, ordering.field)
    predicate = _compile(query, table, query.where) if query.where else _always
    return Plan(query, table, fields, predicate)


def _always(row: dict[str, Any]) -> bool:
    return True


def _spec(query: Query, table: SObjectTable, ref: FieldRef) -> FieldSpec:
    spec = table.schema.resolve(ref.name)
    if spec is None:
        raise no_such_column(query.text, ref.column, ref.name, table.schema.name)
    return spec


def _compile(query: Query, table: SObjectTable, condition: Condition) -> Predicate:
    if isinstance(condition, Junction):
        parts = [_compile(query, table, part) for part in condition.parts]
        if condition.op == "AND":
            return lambda row: all(part(row) for part in parts)
        return lambda row: any(part(row) for part in parts)
    if isinstance(condition, Negation):
        inner = _compile(query, table, condition.part)
        return lambda row: not inner(row)
    return _comparison(query, _spec(query, table, condition.field), condition)


def _comparison(query: Query, spec: FieldSpec, comparison: Comparison) -> Predicate:
    for literal in comparison.values:
        _check_literal(query, spec, comparison.op, literal)
    name, op = spec.name, comparison.op
    fold = spec.type in STRING_TYPES
    values = [_normalise(lit.value, fold, op == "LIKE") for lit in comparison.values]
    if op in ("IN", "NOT IN"):
        members = set(values)
        keep = op == "IN"
        return lambda row: (_normalise(row.get(name), fold) in members) == keep
    if op == "LIKE":
        pattern = _like_pattern(values[0])
        return lambda row: (
            row.get(name) is not None and bool(pattern.fullmatch(row[name].casefold()))
        )
    target, test = values[0], _ORDERING[op]
    if target is None or op in ("=", "!="):
        return lambda row: test(_normalise(row.get(name), fold), target)
    return lambda row: (
        (value := _normalise(row.get(name), fold)) is not None and test(value, target)
    )


def _check_literal(query: Query, spec: FieldSpec, op: str, literal: Literal) -> None:
    """Reject constants of the wrong type, as SOQL does (e.g. a quoted value for a dateTime)."""
    if literal.kind == "null":
        if op in ("=", "!=", "IN", "NOT IN"):
            return
        raise soql_error("MALFORMED_QUERY", query.text, literal.column, "unexpected token: null")
    if op == "LIKE" and spec.type not in STRING_TYPES:
        raise soql_error(
            "INVALID_FIELD",
            query.text,
            literal.column,
            f"invalid operator on field '{spec.name}': LIKE can only be used on strings",
        )
    expected = _LITERAL_KINDS.get(spec.type)
    if expected is None:
        expected = {"number"} if spec.type in NUMBER_TYPES else {"string"}
    if literal.kind in expected:
        return
    soap = _SOAP_NAME.get(spec.type, "number" if spec.type in NUMBER_TYPES else "string")
    quoted = spec.type in STRING_TYPES
    quoting = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    raise soql_error(
        "INVALID_FIELD",
        query.text,
        literal.column,
        f"value of filter criterion for field '{spec.name}' must be of type {soap} and {quoting}",
    )


def _normalise(value: Any, fold: bool, keep_escapes: bool = False) -> Any:
    """String comparisons in SOQL ignore case; `\\%`/`\\_` only mean something in LIKE."""
    if not (fold and isinstance(value, str)):
        return value
    if not keep_escapes:
        value = value.replace("\\%", "%").replace("\\_", "_")
    return value.casefold()


def _like_pattern(pattern: str) -> re.Pattern[str]:
    """LIKE → regex: % any run, _ one character, backslash-escaped wildcards literal."""
    parts = re.split(r"(\\[%_]|[%_])", pattern)
    wildcard = {"%": ".*", "_": "."}
    regex = "".join(
        wildcard.get(part) or re.escape(part[1:] if part.startswith("\\") else part)
        for part in parts
    )
    return re.compile(regex, re.DOTALL)


def _sorted(rows: list[dict[str, Any]], plan: Plan) -> list[dict[str, Any]]:
    """ORDER BY with per-key direction and NULLS FIRST/LAST (stable sorts, last key first)."""
    for ordering in reversed(plan.query.order_by):
        spec = plan.table.schema.resolve(ordering.field.name)
        assert spec is not None  # validated by plan()
        name, fold = spec.name, spec.type in STRING_TYPES
        present = [row for row in rows if row.get(name) is not None]
        missing = [row for row in rows if row.get(name) is None]
        present.sort(key=lambda row: _normalise(row[name], fold), reverse=ordering.descending)
        rows = present + missing if ordering.nulls_last else missing + present
    return rows
