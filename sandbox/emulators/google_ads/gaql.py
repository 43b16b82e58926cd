"""A GAQL subset: tokenizer and recursive-descent parser turning query text into a `Query`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["word", "string", "number", "symbol", "end"]
_SYMBOLS = ("!=", ">=", "<=", "=", ">", "<", "(", ")", ",")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_COMPARISONS = frozenset({"=", "!=", ">", ">=", "<", "<="})


class GaqlError(Exception):
    """A query the real API rejects: `code` is a QueryErrorEnum.QueryError name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical unit; `text` is the raw text (strings without their quotes)."""

    kind: TokenKind
    text: str
    position: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


@dataclass(frozen=True)
class Value:
    """A value in a condition: a quoted string, a number or a bare word (enum constant)."""

    kind: TokenKind
    text: str


@dataclass(frozen=True)
class Condition:
    """`field operator values`; BETWEEN has two values, IN a list, DURING one bare word."""

    field: str
    operator: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Ordering:
    """One ORDER BY term."""

    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    """A parsed GAQL query (syntax only: fields are checked against the catalog later)."""

    fields: tuple[str, ...]
    resource: str
    conditions: tuple[Condition, ...]
    ordering: tuple[Ordering, ...]
    limit: int | None


def tokenize(text: str) -> list[Token]:
    """Split query text into tokens, ending with an `end` token."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "'\"":
            i = _read_string(text, i, tokens)
        elif char.isdigit() or (char == "-" and text[i + 1 : i + 2].isdigit()):
            i = _read_while(text, i, tokens, "number", frozenset("-0123456789."))
        elif char in _WORD_CHARS:
            i = _read_while(text, i, tokens, "word", _WORD_CHARS)
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise GaqlError("BAD_SYMBOL", f"Error in query: unexpected symbol {char!r}.")
            tokens.append(Token("symbol", symbol, i))
            i += len(symbol)
    tokens.append(Token("end", "", len(text)))
    return tokens


def _read_string(text: str, start: int, tokens: list[Token]) -> int:
    quote = text[start]
    end = text.find(quote, start + 1)
    if end < 0:
        raise GaqlError("STRING_NOT_TERMINATED", "Error in query: string is not terminated.")
    value = text[start + 1 : end]
    if "\n" in value:
        raise GaqlError("PROHIBITED_NEWLINE_IN_STRING", "Error in query: newline in string.")
    tokens.append(Token("string", value, start))
    return end + 1


def _read_while(
    text: str, start: int, tokens: list[Token], kind: TokenKind, chars: frozenset[str]
) -> int:
    end = start + 1
    while end < len(text) and text[end] in chars:
        end += 1
    tokens.append(Token(kind, text[start:end], start))
    return end


def parse(text: str) -> Query:
    """Parse `SELECT … FROM … [WHERE …] [ORDER BY …] [LIMIT n]`."""
    return _Parser(tokenize(text)).query()


class _Parser:
    """Recursive descent over the token list; one method per clause."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        if token.kind == "end":
            raise GaqlError("UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
        self.index += 1
        return token

    def expect_keyword(self, word: str, code: str) -> None:
        if not self.current.is_keyword(word):
            raise GaqlError(code, f"Error in query: expected {word}, got {self._shown()}.")
        self.index += 1

    def expect_symbol(self, symbol: str, code: str) -> None:
        if self.current.text != symbol or self.current.kind != "symbol":
            raise GaqlError(code, f"Error in query: expected {symbol!r}, got {self._shown()}.")
        self.index += 1

    def _shown(self) -> str:
        return "end of query" if self.current.kind == "end" else repr(self.current.text)

    def field_name(self) -> str:
        token = self.advance()
        if token.kind != "word" or token.is_keyword("FROM", "WHERE", "ORDER", "LIMIT"):
            raise GaqlError("UNEXPECTED_INPUT", f"Error in query: unexpected input {token.text}.")
        return token.text

    def query(self) -> Query:
        self.expect_keyword("SELECT", "EXPECTED_SELECT")
        fields = [self.field_name()]
        while self.current.text == ",":
            self.index += 1
            fields.append(self.field_name())
        self.expect_keyword("FROM", "EXPECTED_FROM")
        resource = self.field_name()
        conditions = self.where() if self.current.is_keyword("WHERE") else ()
        ordering = self.order_by() if self.current.is_keyword("ORDER") else ()
        limit = self.limit() if self.current.is_keyword("LIMIT") else None
        if self.current.kind != "end":
            raise GaqlError(
                "UNEXPECTED_INPUT", f"Error in query: unexpected input {self.current.text}."
            )
        return Query(tuple(fields), resource, conditions, ordering, limit)

    def where(self) -> tuple[Condition, ...]:
        self.index += 1
        conditions = [self.condition()]
        while self.current.is_keyword("AND"):
            self.index += 1
            conditions.append(self.condition())
        return tuple(conditions)

    def condition(self) -> Condition:
        field = self.field_name()
        token = self.advance()
        if token.kind == "symbol" and token.text in _COMPARISONS:
            return Condition(field, token.text, (self.value(),))
        if token.is_keyword("IN"):
            return Condition(field, "IN", self.value_list())
        if token.is_keyword("NOT") and self.current.is_keyword("IN"):
            self.index += 1
            return Condition(field, "NOT IN", self.value_list())
        if token.is_keyword("BETWEEN"):
            low = self.value()
            self.expect_keyword("AND", "EXPECTED_AND")
            return Condition(field, "BETWEEN", (low, self.value()))
        if token.is_keyword("DURING"):
            return Condition(field, "DURING", (self.value(),))
        raise GaqlError("BAD_OPERATOR", f"Error in query: invalid operator {token.text}.")

    def value(self) -> Value:
        token = self.advance()
        if token.kind == "symbol":
            raise GaqlError("BAD_VALUE", f"Error in query: invalid value {token.text}.")
        return Value(token.kind, token.text)

    def value_list(self) -> tuple[Value, ...]:
        self.expect_symbol("(", "EXPECTED_LIST")
        if self.current.text == ")":
            raise GaqlError(
                "PROHIBITED_EMPTY_LIST_IN_CONDITION", "Error in query: empty list in condition."
            )
        values = [self.value()]
        while self.current.text == ",":
            self.index += 1
            values.append(self.value())
        self.expect_symbol(")", "UNEXPECTED_INPUT")
        return tuple(values)

    def order_by(self) -> tuple[Ordering, ...]:
        self.index += 1
        self.expect_keyword("BY", "EXPECTED_BY")
        terms = [self.ordering()]
        while self.current.text == ",":
            self.index += 1
            terms.append(self.ordering())
        return tuple(terms)

    def ordering(self) -> Ordering:
        field = self.field_name()
        descending = self.current.is_keyword("DESC")
        if descending or self.current.is_keyword("ASC"):
            self.index += 1
        return Ordering(field, descending)

    def limit(self) -> int:
        self.index += 1
        token = self.advance()
        if token.kind != "number" or not token.text.isdigit():
            raise GaqlError("BAD_LIMIT_VALUE", f"Error in query: invalid LIMIT {token.text}.")
        if int(token.text) < 1:
            raise GaqlError("LIMIT_VALUE_TOO_LOW", "Error in query: LIMIT must be at least 1.")
        return int(token.text)
