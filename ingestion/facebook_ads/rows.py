"""Graph JSON rows → Arrow batches: every value as sent, action lists kept and flattened.

Values stay strings here; the stream schema casts them (money to exact decimals) in one place,
so a value Meta changes the type of fails the window with the field named.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from .schema import CONVERSIONS, FLAT_WINDOWS

Row = Mapping[str, Any]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _columns(rows: Sequence[Row]) -> list[str]:
    """Every key any row carries, in first-seen order (unknown new fields included)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def table(rows: Sequence[Row]) -> pa.Table:
    """A table of string columns, one per key seen (nested values as JSON text)."""
    return pa.table(
        {name: pa.array([_text(r.get(name)) for r in rows], pa.string()) for name in _columns(rows)}
    )


def _pick(entries: Iterable[Row] | None, action_types: Sequence[str]) -> Row | None:
    """The entry of the first action type present (omni type before the pixel event)."""
    by_type = {e.get("action_type"): e for e in entries or ()}
    return next((by_type[t] for t in action_types if t in by_type), None)


def _flatten(row: Row, windows: Sequence[str]) -> dict[str, str | None]:
    """Typed conversion columns: Meta's default attribution ("value") and each window asked.

    A missing list or entry means zero conversions for the windows that were requested; a
    window that was not requested stays null (unknown, not zero)."""
    flat: dict[str, str | None] = {}
    for stem, action_types in CONVERSIONS.items():
        for source, column in (("actions", f"{stem}s"), ("action_values", f"{stem}_value")):
            entry = _pick(row.get(source), action_types) or {}
            flat[column] = entry.get("value", "0")
            for window in FLAT_WINDOWS:
                key = f"{stem}s_{window}" if source == "actions" else f"{stem}_value_{window}"
                flat[key] = entry.get(window, "0") if window in windows else None
    return flat


def insights_table(rows: Sequence[Row], windows: Sequence[str]) -> pa.Table:
    """Ad-level insights rows with the flattened conversions and the windows requested."""
    asked = ",".join(sorted(windows))
    shaped = [{**row, **_flatten(row, windows), "attribution_windows": asked} for row in rows]
    return table(shaped)
