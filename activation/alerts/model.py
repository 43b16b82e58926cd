"""One alert: what is wrong, where, how far from expected, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Alert:
    """A condition that holds on `as_of`; `condition_key` names it across runs (deduplication)."""

    rule: str
    severity: str
    platform: str
    entity_type: str
    entity_id: str
    entity_name: str
    metric: str
    expected: str
    actual: str
    action: str
    day: str = ""  # anomalies: the latest anomalous day; empty for standing conditions
    owner_id: str = ""  # CRM records: who should act on it (hot leads)
    owner_name: str = ""
    score: int | None = None  # scored CRM records: the model's score, 0-100

    @property
    def condition_key(self) -> str:
        """Rule and entity, not the day: a level shift stays one episode until it clears."""
        return "|".join((self.rule, self.platform, self.entity_type, self.entity_id))

    @property
    def entity(self) -> str:
        """The entity as people name it, with its owner when it has one."""
        if self.owner_name:
            return f"{self.entity_name} (owner {self.owner_name})"
        return self.entity_name

    @property
    def message(self) -> str:
        """One line for the alerts table and the CLI."""
        return (
            f"[{self.severity}] {self.rule.replace('_', ' ')}: {self.entity} "
            f"({self.entity_type} {self.entity_id}) {self.metric} {self.actual}, "
            f"expected {self.expected}. {self.action}"
        )
