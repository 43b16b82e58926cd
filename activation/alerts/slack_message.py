"""The digest as one Slack Block Kit message, cut to fit Slack's limits rather than split."""

from __future__ import annotations

from typing import Any

from activation.alerts.digest import Digest, Group, Item, Markup, item_text

# Slack's limits: blocks per message, characters per section text and per header.
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
# A name or figure longer than this is clipped, so that one line never fills a section.
MAX_FIELD_CHARS = 200

SEVERITY_ICON = {"high": ":red_circle:", "medium": ":large_orange_circle:", "low": ":white_circle:"}


def more(n: int) -> str:
    """The line that stands for the alerts left out of the message."""
    return f"…and {n} more (see activation.alerts)"


def _clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack mrkdwn control characters; names are clipped first so a line stays bounded."""
    return _clip(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str | None, label: str) -> str:
    return f"<{url}|{_escape(label)}>" if url else _escape(label)


MRKDWN = Markup(_escape, _link, lambda text: f"*{text}*", lambda text: f"_{text}_")


def item_line(item: Item) -> str:
    """One bullet of the message."""
    return f"• {item_text(item, MRKDWN)}"


def heading(group: Group) -> str:
    """The group's first line: severity, rule (and owner, mentioned when mapped), count."""
    icon = SEVERITY_ICON.get(group.severity, "")
    n = len(group.items)
    if not group.owner:
        return f"{icon} *{_escape(group.title)}* ({n})"
    mention = f" <@{group.slack_member}>" if group.slack_member else ""
    expected = group.items[0].alert.expected
    leads = f"{n} lead{'' if n == 1 else 's'}"
    return f"{icon} *{_escape(group.title)}*{mention} ({leads}, {_escape(expected)})"


def section_text(first: str, lines: list[str], limit: int = MAX_SECTION_CHARS) -> str:
    """The first line and as many lines as fit in `limit` characters, then "…and N more"."""
    full = "\n".join([first, *lines])
    if len(full) <= limit:
        return full
    reserve = len(more(len(lines))) + 1
    text = _clip(first, limit - reserve)
    for shown, line in enumerate(lines):
        if len(text) + 1 + len(line) + reserve > limit:
            return f"{text}\n{more(len(lines) - shown)}"
        text = f"{text}\n{line}"
    return text  # every line fitted once a too-long first line was clipped


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def slack_message(digest: Digest) -> dict[str, Any]:
    """Keyword arguments for `SlackWebhookHook.send`: a header with the counts by severity, a
    section per group; past the block limit, the last section counts the alerts left out."""
    title = _clip(digest.headline, MAX_HEADER_CHARS)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}
    ]
    groups = list(digest.groups)
    for index, group in enumerate(groups):
        if len(blocks) == MAX_BLOCKS - 1 and index < len(groups) - 1:
            blocks.append(_section(more(sum(len(g.items) for g in groups[index:]))))
            break
        blocks.append(_section(section_text(heading(group), [item_line(i) for i in group.items])))
    return {
        "text": _clip(digest.summary(), MAX_SECTION_CHARS),
        "blocks": blocks,
        # record links need a Salesforce login: a preview would only show the login page
        "unfurl_links": False,
        "unfurl_media": False,
    }
