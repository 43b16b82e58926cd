"""The digest of one alert run: every alert to deliver, most urgent first, hot leads by owner."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from activation.alerts.data_quality import QUARANTINE_RULE, SCHEMA_CHANGE_RULE
from activation.alerts.model import SEVERITIES, Alert
from activation.alerts.record_links import record_url
from activation.alerts.rules import HOT_LEAD_RULE

RULE_TITLES = {
    "low_roas": "Low ROAS",
    "no_conversions": "Spend without conversions",
    "low_ctr": "Low CTR",
    "budget_pacing": "Budget off plan",
    "churn_risk": "Accounts at risk of churn",
    HOT_LEAD_RULE: "Hot leads not contacted",
    SCHEMA_CHANGE_RULE: "Source schema changes",
    QUARANTINE_RULE: "Records quarantined at ingestion",
}
PLATFORM_LABELS = {"google_ads": "Google Ads", "facebook_ads": "Meta Ads"}
NO_OWNER = "no owner"


def rule_title(rule: str) -> str:
    """How people read a rule name ("anomaly_spend" reads "Anomaly: spend")."""
    if rule in RULE_TITLES:
        return RULE_TITLES[rule]
    if rule.startswith("anomaly_"):
        return f"Anomaly: {rule.removeprefix('anomaly_').replace('_', ' ')}"
    return rule.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Markup:
    """How one medium spells text: escaping, a link, bold and italic (Slack mrkdwn, HTML)."""

    escape: Callable[[str], str]
    link: Callable[[str | None, str], str]
    bold: Callable[[str], str]
    italic: Callable[[str], str]


def item_text(item: Item, markup: Markup) -> str:
    """One listed alert in a medium's markup: a hot lead (record, how long untouched, score) or
    an alert (entity, metric, actual vs expected, suggested action)."""
    alert, esc = item.alert, markup.escape
    if alert.rule == HOT_LEAD_RULE:
        score = f", score {alert.score}" if alert.score is not None else ""
        return f"{markup.link(item.url, alert.entity_name)}: {esc(alert.actual)}{score}"
    platform = PLATFORM_LABELS.get(alert.platform)
    where = f" ({esc(platform)})" if platform else ""
    return (
        f"{markup.link(item.url, alert.entity_name)}{where}: {esc(alert.metric)} "
        f"{markup.bold(esc(alert.actual))}, expected {esc(alert.expected)}. "
        f"{markup.italic(esc(alert.action))}"
    )


@dataclass(frozen=True)
class Item:
    """One alert as the digest lists it; `url` opens its CRM record."""

    alert: Alert
    url: str | None = None


@dataclass(frozen=True)
class Group:
    """One section: the alerts of one rule, or one owner's hot leads."""

    severity: str
    rule: str
    items: tuple[Item, ...]
    owner: str = ""  # owner groups only: the owner's name, or NO_OWNER
    slack_member: str | None = None  # owner groups only: the Slack member id to mention

    @property
    def title(self) -> str:
        """The rule's title, and the owner's name for an owner group."""
        return f"{rule_title(self.rule)}: {self.owner}" if self.owner else rule_title(self.rule)


@dataclass(frozen=True)
class Digest:
    """What one run delivers to each channel, as one message."""

    as_of: date
    groups: tuple[Group, ...]

    @property
    def total(self) -> int:
        """Alerts in the digest."""
        return sum(len(group.items) for group in self.groups)

    def counts(self) -> dict[str, int]:
        """Alerts by severity, most urgent first (severities with none left out)."""
        counts: dict[str, int] = {}
        for group in self.groups:
            counts[group.severity] = counts.get(group.severity, 0) + len(group.items)
        return counts

    @property
    def headline(self) -> str:
        """e.g. "29 new alerts on 2025-12-31: 3 high, 26 medium"."""
        counts = ", ".join(f"{n} {severity}" for severity, n in self.counts().items())
        plural = "" if self.total == 1 else "s"
        return f"{self.total} new alert{plural} on {self.as_of:%Y-%m-%d}: {counts}"

    def summary(self) -> str:
        """The headline and the alerts per rule, in one line (Slack's notification text)."""
        per_rule: dict[str, list[Group]] = {}
        for group in self.groups:
            per_rule.setdefault(group.rule, []).append(group)
        parts = []
        for rule, groups in per_rule.items():
            n = sum(len(group.items) for group in groups)
            owners = f" for {len(groups)} owners" if len(groups) > 1 else ""
            parts.append(f"{rule_title(rule)} {n}{owners}")
        return f"{self.headline}. " + "; ".join(parts)


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _item_order(item: Item) -> tuple[int, str, str]:
    """Highest score first (scored records), then by name."""
    score = item.alert.score if item.alert.score is not None else -1
    return (-score, item.alert.entity_name, item.alert.entity_id)


def _group_order(group: Group) -> tuple[int, int, str]:
    """Owners with the most hot leads first, then the one with the highest-scoring lead."""
    top = max((item.alert.score or 0 for item in group.items), default=0)
    return (-len(group.items), -top, group.owner)


class SlackMembers:
    """MDP_ALERTS__SLACK_USERS: a CRM owner's Slack member id, by owner id or name."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self.by_id = dict(users)
        self.by_name = {key.strip().casefold(): member for key, member in users.items()}

    def find(self, owner_id: str, owner_name: str) -> str | None:
        """Exact user id (15- or 18-character Salesforce form), else the name, case-blind."""
        for key in (owner_id, owner_id[:15]):
            if key and key in self.by_id:
                return self.by_id[key]
        return self.by_name.get(owner_name.strip().casefold()) if owner_name else None


def _owner_groups(
    severity: str, rule: str, items: Iterable[Item], members: SlackMembers
) -> list[Group]:
    by_owner: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        by_owner.setdefault((item.alert.owner_id, item.alert.owner_name), []).append(item)
    groups = [
        Group(
            severity,
            rule,
            tuple(sorted(leads, key=_item_order)),
            owner=name or NO_OWNER,
            slack_member=members.find(owner_id, name),
        )
        for (owner_id, name), leads in by_owner.items()
    ]
    return sorted(groups, key=_group_order)


def build_digest(
    alerts: Sequence[Alert],
    as_of: date,
    instance_url: str | None = None,
    slack_users: Mapping[str, str] | None = None,
) -> Digest:
    """Severity (high first), then rule; one group per rule, or per owner for hot leads."""
    members = SlackMembers(slack_users or {})

    def key(alert: Alert) -> tuple[int, str, str]:
        return (_severity_rank(alert.severity), alert.rule, alert.severity)

    groups: list[Group] = []
    for (_, rule, severity), same in groupby(sorted(alerts, key=key), key=key):
        items = [Item(alert, record_url(instance_url, alert)) for alert in same]
        if rule == HOT_LEAD_RULE:
            groups.extend(_owner_groups(severity, rule, items, members))
        else:
            groups.append(Group(severity, rule, tuple(sorted(items, key=_item_order))))
    return Digest(as_of, tuple(groups))
