"""One insights row as Graph renders it: numbers as strings, actions as attribution lists."""

from __future__ import annotations

from typing import Any

ACTIONS = ("lead", "purchase")
WINDOWS = ("1d_click", "7d_click", "1d_view")
#: Meta's default attribution setting: 7-day click plus 1-day view.
DEFAULT_WINDOWS = ("7d_click", "1d_view")
CONVERSION_COLUMNS = tuple(
    f"{action}{kind}_{window}"
    for action in ACTIONS
    for kind in ("", "_value")
    for window in WINDOWS
)
METRIC_COLUMNS = (
    "spend",
    "impressions",
    "reach",
    "clicks",
    "inline_link_clicks",
    *CONVERSION_COLUMNS,
)
#: action_type reported → world conversion it counts (None: link clicks); the pixel event and
#: the aggregated omni-channel type both appear, as in real responses.
ACTION_TYPES = (
    ("link_click", None),
    ("offsite_conversion.fb_pixel_lead", "lead"),
    ("lead", "lead"),
    ("offsite_conversion.fb_pixel_purchase", "purchase"),
    ("purchase", "purchase"),
)
_ENTITY_LEVEL = {
    "account_id": 0,
    "account_currency": 0,
    "campaign_id": 1,
    "campaign_name": 1,
    "objective": 1,
    "adset_id": 2,
    "adset_name": 2,
    "ad_id": 3,
    "ad_name": 3,
}
_LEVEL_DEPTH = {"account": 0, "campaign": 1, "adset": 2, "ad": 3}
_COUNTS = ("impressions", "clicks", "reach", "inline_link_clicks")
_RATIOS = {
    "ctr": ("clicks", "impressions", 100),
    "cpc": ("spend", "clicks", 1),
    "cpm": ("spend", "impressions", 1000),
    "frequency": ("impressions", "reach", 1),
    "inline_link_click_ctr": ("inline_link_clicks", "impressions", 100),
    "cost_per_inline_link_click": ("spend", "inline_link_clicks", 1),
}
_ACTION_LISTS = ("actions", "action_values", "cost_per_action_type")
FIELDS = frozenset(
    {*_ENTITY_LEVEL, *_COUNTS, *_RATIOS, *_ACTION_LISTS, "spend", "date_start", "date_stop"}
)


def decimal(value: float, places: int) -> str:
    """Graph's decimal strings: rounded, without trailing zeros ("12.5", "0", "1.234568")."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def render(
    row: dict[str, Any],
    fields: tuple[str, ...],
    level: str,
    windows: tuple[str, ...],
    currency: str,
) -> dict[str, Any]:
    """The JSON object for one aggregated row; empty metrics are left out like Graph does."""
    out: dict[str, Any] = {}
    for name in fields:
        value = _field(row, name, level, windows, currency)
        if value is not None:
            out[name] = value
    if "publisher_platform" in row:
        out["publisher_platform"] = row["publisher_platform"]
    out["date_start"] = row["date_start"]
    out["date_stop"] = row["date_stop"]
    return out


def _field(
    row: dict[str, Any], name: str, level: str, windows: tuple[str, ...], currency: str
) -> Any:
    if name in _ENTITY_LEVEL:
        if _ENTITY_LEVEL[name] > _LEVEL_DEPTH[level]:
            return None
        return currency if name == "account_currency" else str(row[name])
    if name in _COUNTS:
        return str(int(row[name]))
    if name == "spend":
        return decimal(row["spend"], 2)
    if name in _RATIOS:
        numerator, denominator, scale = _RATIOS[name]
        return _ratio(row[numerator] * scale, row[denominator])
    if name in _ACTION_LISTS:
        return _action_list(row, name, windows)
    return None  # date_start/date_stop are always added by render


def _ratio(numerator: float, denominator: float) -> str | None:
    return decimal(numerator / denominator, 6) if denominator else None


def _window_values(row: dict[str, Any], source: str | None, kind: str) -> dict[str, float]:
    if source is None:
        clicks = row["inline_link_clicks"] if kind == "" else 0
        return {"1d_click": clicks, "7d_click": clicks}
    return {window: row[f"{source}{kind}_{window}"] for window in WINDOWS}


def _action_list(row: dict[str, Any], name: str, windows: tuple[str, ...]) -> list[Any] | None:
    kind = "_value" if name == "action_values" else ""
    places = 2 if name == "action_values" else 0
    entries = []
    for action_type, source in ACTION_TYPES:
        values = _window_values(row, source, kind)
        default = sum(values.get(window, 0) for window in DEFAULT_WINDOWS)
        if name == "cost_per_action_type":
            if default:
                entries.append(
                    {"action_type": action_type, "value": decimal(row["spend"] / default, 6)}
                )
            continue
        shown = {window: values[window] for window in windows if window in values}
        if default or any(shown.values()):
            entry = {"action_type": action_type, "value": decimal(default, places)}
            entry.update({window: decimal(v, places) for window, v in shown.items()})
            entries.append(entry)
    return entries or None
