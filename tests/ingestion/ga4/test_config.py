"""The GA4 connection is checked when it is read: ids in their documented format, numbers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ingestion.ga4.config import Ga4Config
from mdp.errors import ConfigError


def read(**extra: Any) -> Ga4Config:
    return Ga4Config.from_connection("mdp_ga4", SimpleNamespace(extra_dejson=extra, password=None))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("412345678", "412345678"), ("properties/412345678", "412345678"), (412345678, "412345678")],
)
def test_property_ids_in_the_documented_formats(value: Any, expected: str) -> None:
    assert read(property_id=value).property_id == expected


@pytest.mark.parametrize(
    "value", ["properties/41234/x", "G-ABC123", "412345678:runReport", "../412", "properties/"]
)
def test_a_property_id_not_in_ga4s_format_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as error:
        read(property_id=value)
    assert str(error.value) == (
        f"Airflow connection 'mdp_ga4': extra field property_id has {value!r}, which is not a "
        "GA4 property id (digits, or properties/<digits>)"
    )


def test_lookback_days_must_be_a_whole_number() -> None:
    with pytest.raises(ConfigError, match="'lookback_days' must be a whole number of days"):
        read(property_id="1", lookback_days="three")
    assert read(property_id="1", lookback_days="0").lookback_days == 0
