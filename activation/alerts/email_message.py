"""The digest as one HTML e-mail, grouped and ordered as the Slack message (and never cut)."""

from __future__ import annotations

from html import escape

from activation.alerts.digest import PLATFORM_LABELS, Digest, Group, Item
from activation.alerts.rules import HOT_LEAD_RULE

SEVERITY_COLOUR = {"high": "#dc2626", "medium": "#ea580c", "low": "#6b7280"}


def subject(digest: Digest) -> str:
    """e.g. "mdp: 29 new alerts on 2025-12-31: 3 high, 26 medium"."""
    return f"mdp: {digest.headline}"


def _link(url: str | None, label: str) -> str:
    return f'<a href="{escape(url)}">{escape(label)}</a>' if url else escape(label)


def _item(item: Item) -> str:
    alert = item.alert
    if alert.rule == HOT_LEAD_RULE:
        score = f", score {alert.score}" if alert.score is not None else ""
        return f"<li>{_link(item.url, alert.entity_name)}: {escape(alert.actual)}{score}</li>"
    platform = PLATFORM_LABELS.get(alert.platform)
    where = f" ({escape(platform)})" if platform else ""
    return (
        f"<li>{_link(item.url, alert.entity_name)}{where}: {escape(alert.metric)} "
        f"<b>{escape(alert.actual)}</b>, expected {escape(alert.expected)}. "
        f"<i>{escape(alert.action)}</i></li>"
    )


def _group(group: Group) -> str:
    colour = SEVERITY_COLOUR.get(group.severity, "#111827")
    n = len(group.items)
    detail = f"{group.severity}, {n}"
    if group.owner:
        detail += f" lead{'' if n == 1 else 's'}, {group.items[0].alert.expected}"
    items = "".join(_item(item) for item in group.items)
    return (
        f'<h3 style="color:{colour}">{escape(group.title)} '
        f"<small>({escape(detail)})</small></h3><ul>{items}</ul>"
    )


def html(digest: Digest) -> str:
    """The headline, then one heading and list per group."""
    body = "".join(_group(group) for group in digest.groups)
    return f"<h2>{escape(digest.headline)}</h2>{body}"
