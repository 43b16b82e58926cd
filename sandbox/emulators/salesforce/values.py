"""Field values between Python, the REST JSON format and the Bulk API CSV format."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from .schema import NUMBER_TYPES, FieldSpec

#: A Bulk CSV cell left empty: Salesforce keeps the stored value (`#N/A` is what sets null).
UNCHANGED = object()
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})


class ServedNaN(float):
    """A NaN the REST API sends as a bare JSON `NaN` (the `implausible_values` fault: a broken
    proxy or formula). Any other NaN is an empty field, served as null: a real org has no NaN."""


def to_json(value: Any) -> Any:
    """A stored value as the REST API renders it (datetimes as 2025-01-01T10:00:00.000+0000)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value) and not isinstance(value, ServedNaN):
        return None
    return value


def to_csv(value: Any) -> str:
    """A stored value as Bulk API 2.0 query results render it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def from_csv(text: str, spec: FieldSpec) -> Any:
    """A Bulk CSV cell as a typed value; UNCHANGED for an empty cell; ValueError if unparsable."""
    if text == "":
        return UNCHANGED
    if text == "#N/A":
        return None
    return parse(text, spec)


def from_json(value: Any, spec: FieldSpec) -> Any:
    """A REST JSON value as a typed value; ValueError if it does not fit the field type."""
    if value is None:
        return None
    if isinstance(value, bool) and spec.type != "boolean":
        raise ValueError(f"Cannot deserialize instance of {spec.type} from VALUE_{value}".upper())
    if isinstance(value, int | float) and spec.type in NUMBER_TYPES:
        return int(value) if spec.type == "int" else float(value)
    return parse(value if isinstance(value, str) else str(value), spec)


def parse(text: str, spec: FieldSpec) -> Any:
    """Text as the field's type (the same rules for CSV cells and JSON strings)."""
    kind = spec.type
    if kind == "boolean":
        return _boolean(text)
    if kind == "int":
        return int(text)
    if kind in NUMBER_TYPES:
        return float(text)
    if kind == "datetime":
        return parse_datetime(text)
    if kind == "date":
        return dt.date.fromisoformat(text[:10])
    return text


def parse_datetime(text: str) -> dt.datetime:
    """ISO 8601 with Z, +0000 or +00:00 (a bare date means midnight UTC)."""
    stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"'{text}' is not a valid value for the type xsd:boolean")
