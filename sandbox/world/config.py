"""World configuration: the size preset, the simulated period and every tunable knob."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from sandbox.world.errors import WorldConfigError


@dataclass(frozen=True)
class ScalePreset:
    """How big a world is: traffic volume, number of campaigns, customers and sales reps."""

    traffic: float  # multiplier on every daily session intensity (1.0 ≈ 10k users a year)
    campaigns_per_platform: int
    base_customers: int  # customers already live on `start`
    sdrs: int
    account_executives: int
    csms: int


SCALES: dict[str, ScalePreset] = {
    "tiny": ScalePreset(0.1, 3, 60, 2, 2, 1),
    "small": ScalePreset(4.0, 4, 2_000, 5, 6, 3),
    "medium": ScalePreset(10.0, 6, 4_000, 8, 12, 6),
    "large": ScalePreset(100.0, 8, 15_000, 40, 60, 30),
}


@dataclass(frozen=True)
class WorldConfig:
    """Everything that determines a world: same config, byte-identical tables."""

    scale: str = "small"
    seed: int = 42
    start: date = date(2025, 1, 1)
    end: date = date(2025, 12, 31)
    # Restatement: how long platforms keep changing already reported days.
    restatement_days_meta: int = 28
    conversion_window_days_google: int = 30
    ga4_processing_days: int = 3
    # Share of paid clicks that turn into a GA4 session (ad blockers, bounces before the tag).
    click_to_session_rate_meta: float = 0.85
    click_to_session_rate_google: float = 0.90
    currency: str = "USD"
    site_host: str = "www.mdp-demo.example"

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise WorldConfigError(
                f"unknown scale {self.scale!r}: choose one of {', '.join(SCALES)}"
            )
        if (self.end - self.start).days < 27:
            raise WorldConfigError(
                f"the world needs at least 28 days, got {self.start} .. {self.end}"
            )
        for name in ("click_to_session_rate_meta", "click_to_session_rate_google"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise WorldConfigError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        for name in ("restatement_days_meta", "conversion_window_days_google"):
            if getattr(self, name) < 1:
                raise WorldConfigError(f"{name} must be at least 1 day")
        if self.ga4_processing_days < 0:
            raise WorldConfigError("ga4_processing_days must be >= 0")

    @property
    def preset(self) -> ScalePreset:
        """The size preset selected by `scale`."""
        return SCALES[self.scale]

    @property
    def n_days(self) -> int:
        """Number of simulated days, both ends included."""
        return (self.end - self.start).days + 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation (dates as ISO strings)."""
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorldConfig:
        """Inverse of `to_dict`; unknown keys are rejected."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise WorldConfigError(f"unknown WorldConfig keys: {sorted(unknown)}")
        values = dict(data)
        for key in ("start", "end"):
            if isinstance(values.get(key), str):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)
