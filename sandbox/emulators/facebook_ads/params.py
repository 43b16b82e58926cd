"""Graph request parameters: JSON or comma-separated lists, JSON maps, limits and date ranges."""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta
from typing import Any

from sandbox.emulators.facebook_ads import errors

Params = dict[str, str]

DATE_PRESETS = (
    "today",
    "yesterday",
    "last_3d",
    "last_7d",
    "last_14d",
    "last_28d",
    "last_30d",
    "last_90d",
    "this_month",
    "last_month",
    "this_year",
    "last_year",
    "maximum",
)
RETENTION_MONTHS = 37


def string_list(params: Params, name: str) -> list[str]:
    """A list parameter as the SDK sends it: JSON on POST and in params, comma-joined `fields`."""
    raw = params.get(name, "").strip()
    if not raw:
        return []
    if raw.startswith("["):
        value = json_value(params, name)
        if not isinstance(value, list):
            raise errors.invalid_parameter(f"Param {name} must be an array.")
        return [str(item) for item in value]
    return [item.strip() for item in raw.split(",") if item.strip()]


def json_value(params: Params, name: str) -> Any:
    """A JSON-encoded parameter (time_range, filtering...), or None when absent."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise errors.invalid_parameter(f"Param {name} must be a valid JSON value.") from None


def limit(params: Params, default: int = 25) -> int:
    raw = params.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise errors.invalid_parameter("Param limit must be a positive integer.")
    return int(raw)


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (clamped to the month's last day)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def date_range(params: Params, today: date) -> tuple[date, date]:
    """(since, until) from time_range or date_preset (default last_30d), checked like Graph."""
    time_range = json_value(params, "time_range")
    if time_range is not None:
        since, until = _explicit_range(time_range)
    else:
        since, until = preset_range(params.get("date_preset") or "last_30d", today)
    if since < months_before(today, RETENTION_MONTHS):
        raise errors.beyond_retention()
    return since, until


def _explicit_range(value: Any) -> tuple[date, date]:
    try:
        since = date.fromisoformat(value["since"])
        until = date.fromisoformat(value["until"])
    except (TypeError, KeyError, ValueError):
        raise errors.invalid_parameter(
            "Param time_range must be a JSON object with since and until dates (YYYY-MM-DD)."
        ) from None
    if since > until:
        raise errors.invalid_parameter("Param time_range: since must not be after until.")
    return since, until


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The dates a date_preset covers; `last_Nd` ends yesterday, as in Ads Manager."""
    yesterday = today - timedelta(days=1)
    if preset.startswith("last_") and preset.endswith("d") and preset in DATE_PRESETS:
        return today - timedelta(days=int(preset[5:-1])), yesterday
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    ranges = {
        "today": (today, today),
        "yesterday": (yesterday, yesterday),
        "this_month": (month_start, today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "this_year": (today.replace(month=1, day=1), today),
        "last_year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        "maximum": (months_before(today, RETENTION_MONTHS), today),
    }
    if preset not in ranges:
        raise errors.invalid_enum("date_preset", DATE_PRESETS)
    return ranges[preset]
