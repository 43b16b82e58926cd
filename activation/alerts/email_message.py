"""The digest as one HTML e-mail, grouped and ordered as the Slack message (and never cut)."""

from __future__ import annotations

from html import escape

from activation.alerts.digest import Digest, Group, Item, Markup, item_text

SEVERITY_COLOUR = {"high": "#dc2626", "medium": "#ea580c", "low": "#6b7280"}


def subject(digest: Digest) -> str:
    """e.g. "mdp: 29 new alerts on 2025-12-31: 3 high, 26 medium"."""
    return f"mdp: {digest.headline}"


def _link(url: str | None, label: str) -> str:
    return f'<a href="{escape(url)}">{escape(label)}</a>' if url else escape(label)


HTML = Markup(escape, _link, lambda text: f"<b>{text}</b>", lambda text: f"<i>{text}</i>")


def _item(item: Item) -> str:
    return f"<li>{item_text(item, HTML)}</li>"


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
