"""WorldConfig validation and serialisation."""

from __future__ import annotations

from datetime import date

import pytest

from sandbox.world import SCALES, WorldConfig, WorldConfigError


def test_defaults_describe_a_small_2025_world() -> None:
    config = WorldConfig()
    assert (config.scale, config.seed, config.start, config.end) == (
        "small",
        42,
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    assert config.n_days == 365
    assert set(SCALES) == {"tiny", "small", "medium", "large"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale": "huge"},
        {"start": date(2025, 1, 1), "end": date(2025, 1, 10)},
        {"click_to_session_rate_meta": 1.5},
        {"restatement_days_meta": 0},
    ],
)
def test_bad_values_raise_a_named_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(WorldConfigError):
        WorldConfig(**kwargs)  # type: ignore[arg-type]


def test_dict_round_trip() -> None:
    config = WorldConfig(scale="tiny", seed=7, start=date(2025, 2, 1), end=date(2025, 5, 1))
    assert WorldConfig.from_dict(config.to_dict()) == config
    with pytest.raises(WorldConfigError, match="unknown"):
        WorldConfig.from_dict({**config.to_dict(), "colour": "blue"})
