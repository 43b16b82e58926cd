"""A SOQL subset: tokenizer and recursive-descent parser producing a small syntax tree."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .errors import soql_error

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "TRUE",
    "FALSE",
    "NULL",
}
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=", "LIKE")


@dataclass(frozen=True)
class Token:
    kind: str  # string, datetime, date, number, name, keyword, op, punct, eof
    text: str
    column: int


@dataclass(frozen=True)
class Literal:
    """A typed constant: kind is string, datetime, date, number, boolean or null."""

    kind: str
    value: Any
    column: int


@dataclass(frozen=True)
class FieldRef:
    name: str
    column: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # one of COMPARISONS, or IN / NOT IN
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class Junction:
    op: str  # AND / OR
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    part: Condition


Condition = Comparison | Junction | Negation


@dataclass(frozen=True)
class Ordering:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    text: str
    fields: tuple[FieldRef, ...]  # empty for SELECT COUNT()
    sobject: FieldRef
    where: Condition | None
    order_by: tuple[Ordering, ...]
    limit: int | None
    offset: int

    @property
    def is_count(self) -> bool:
        return not self.fields


def tokenize(text: str) -> list[Token]:
    """Split SOQL into tokens; keywords are recognised case-insensitively."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise soql_error(
                "MALFORMED_QUERY", text, position, f"unexpected token: {text[position]}"
            )
        kind = match.lastgroup or ""
        if kind != "space":
            word = match.group()
            if kind == "name" and word.upper() in _KEYWORDS:
                kind, word = "keyword", word.upper()
            tokens.append(Token(kind, word, position))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


def parse(text: str) -> Query:
    """Parse one SOQL statement or raise MALFORMED_QUERY at the offending token."""
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += min(1, len(self.tokens) - 1 - self.index)
        return token

    def unexpected(self) -> Exception:
        token = self.current
        return soql_error(
            "MALFORMED_QUERY", self.text, token.column, f"unexpected token: {token.text}"
        )

    def accept(self, *texts: str) -> Token | None:
        if self.current.kind in ("keyword", "op", "punct") and self.current.text in texts:
            return self.advance()
        return None

    def expect(self, *texts: str) -> Token:
        token = self.accept(*texts)
        if token is None:
            raise self.unexpected()
        return token

    def name(self) -> FieldRef:
        if self.current.kind != "name":
            raise self.unexpected()
        token = self.advance()
        return FieldRef(token.text, token.column)

    def integer(self) -> int:
        if self.current.kind != "number" or not self.current.text.isdigit():
            raise self.unexpected()
        return int(self.advance().text)

    def query(self) -> Query:
        self.expect("SELECT")
        fields = self.select_list()
        self.expect("FROM")
        sobject = self.name()
        where = self.condition() if self.accept("WHERE") else None
        order_by = self.order_by() if self.accept("ORDER") else ()
        limit = self.integer() if self.accept("LIMIT") else None
        offset = self.integer() if self.accept("OFFSET") else 0
        if self.current.kind != "eof":
            raise self.unexpected()
        return Query(self.text, fields, sobject, where, order_by, limit, offset)

    def select_list(self) -> tuple[FieldRef, ...]:
        if self.current.kind == "name" and self.current.text.upper() == "COUNT":
            self.advance()
            self.expect("(")
            self.expect(")")
            return ()
        fields = [self.name()]
        while self.accept(","):
            fields.append(self.name())
        return tuple(fields)

    def condition(self) -> Condition:
        """Conditions joined by one operator; mixing AND and OR needs parentheses, as in SOQL."""
        parts = [self.unary()]
        joiner: str | None = None
        while (token := self.accept("AND", "OR")) is not None:
            if joiner is not None and token.text != joiner:
                self.index -= 1
                raise self.unexpected()
            joiner = token.text
            parts.append(self.unary())
        return parts[0] if joiner is None else Junction(joiner, tuple(parts))

    def unary(self) -> Condition:
        if self.accept("NOT"):
            return Negation(self.unary())
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        field = self.name()
        if self.accept("NOT"):
            self.expect("IN")
            return Comparison(field, "NOT IN", self.value_list())
        if self.accept("IN"):
            return Comparison(field, "IN", self.value_list())
        op = self.expect("=", "!=", "<>", "<", "<=", ">", ">=", "LIKE").text
        return Comparison(field, "!=" if op == "<>" else op, (self.literal(),))

    def value_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        values = [self.literal()]
        while self.accept(","):
            values.append(self.literal())
        self.expect(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.current
        value = _literal_value(token)
        if value is None:
            raise self.unexpected()
        self.advance()
        return value

    def order_by(self) -> tuple[Ordering, ...]:
        self.expect("BY")
        orderings = [self.ordering()]
        while self.accept(","):
            orderings.append(self.ordering())
        return tuple(orderings)

    def ordering(self) -> Ordering:
        field = self.name()
        descending = self.accept("ASC", "DESC")
        is_desc = descending is not None and descending.text == "DESC"
        nulls_last = is_desc
        if self.accept("NULLS"):
            nulls_last = self.expect("FIRST", "LAST").text == "LAST"
        return Ordering(field, is_desc, nulls_last)


def _literal_value(token: Token) -> Literal | None:
    """A token as a typed constant, or None if it cannot be one."""
    if token.kind == "string":
        return Literal("string", _unescape(token.text[1:-1]), token.column)
    if token.kind == "number":
        number = float(token.text) if "." in token.text else int(token.text)
        return Literal("number", number, token.column)
    if token.kind == "datetime":
        stamp = dt.datetime.fromisoformat(token.text.replace("Z", "+00:00"))
        return Literal("datetime", stamp.astimezone(dt.UTC), token.column)
    if token.kind == "date":
        return Literal("date", dt.date.fromisoformat(token.text), token.column)
    if token.kind == "keyword" and token.text in ("TRUE", "FALSE"):
        return Literal("boolean", token.text == "TRUE", token.column)
    if token.kind == "keyword" and token.text == "NULL":
        return Literal("null", None, token.column)
    return None


def _unescape(body: str) -> str:
    """SOQL string escapes; `\\%` and `\\_` stay escaped so LIKE can treat them literally."""
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        escaped = next(chars, "")
        out.append("\\" + escaped if escaped in "%_" else _ESCAPES.get(escaped, escaped))
    return "".join(out)
