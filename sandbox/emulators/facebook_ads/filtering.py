"""The `filtering` parameter: [{field, operator, value}] rules applied to a DataFrame."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from sandbox.emulators.facebook_ads import errors

_Test = Callable[[pd.Series, Any], pd.Series]


def _contain(column: pd.Series, value: Any) -> pd.Series:
    return column.astype(str).str.contains(str(value), case=False, regex=False)


def _is_in(column: pd.Series, value: Any) -> pd.Series:
    values = value if isinstance(value, list) else [value]
    return column.astype(str).isin([str(v) for v in values])


def _compare(test: Callable[[Any, Any], Any]) -> _Test:
    return lambda column, value: test(pd.to_numeric(column), float(value))


OPERATORS: dict[str, _Test] = {
    "EQUAL": lambda column, value: column.astype(str) == str(value),
    "NOT_EQUAL": lambda column, value: column.astype(str) != str(value),
    "IN": _is_in,
    "NOT_IN": lambda column, value: ~_is_in(column, value),
    "CONTAIN": _contain,
    "NOT_CONTAIN": lambda column, value: ~_contain(column, value),
    "GREATER_THAN": _compare(operator.gt),
    "GREATER_THAN_OR_EQUAL": _compare(operator.ge),
    "LESS_THAN": _compare(operator.lt),
    "LESS_THAN_OR_EQUAL": _compare(operator.le),
}


def apply(frame: pd.DataFrame, rules: Any, columns: Mapping[str, str]) -> pd.DataFrame:
    """Rows of `frame` passing every rule; `columns` maps filterable field names to columns."""
    if rules is None:
        return frame
    if not isinstance(rules, list):
        raise errors.invalid_parameter("Param filtering must be an array.")
    mask = pd.Series(True, index=frame.index)
    for position, rule in enumerate(rules):
        mask &= _rule_mask(frame, rule, position, columns)
    return frame.loc[mask]


def _rule_mask(
    frame: pd.DataFrame, rule: Any, position: int, columns: Mapping[str, str]
) -> pd.Series:
    if not isinstance(rule, dict) or not {"field", "operator", "value"} <= rule.keys():
        raise errors.invalid_parameter(
            f"filtering[{position}] must be an object with field, operator and value."
        )
    column = columns.get(rule["field"])
    if column is None or column not in frame:
        raise errors.invalid_parameter(f"Filtering field {rule['field']} is invalid.")
    test = OPERATORS.get(rule["operator"])
    if test is None:
        raise errors.invalid_enum(f"filtering[{position}][operator]", OPERATORS)
    try:
        return test(frame[column], rule["value"])
    except (TypeError, ValueError):
        raise errors.invalid_parameter(
            f"filtering[{position}][value] is invalid for {rule['operator']}."
        ) from None
