"""The GA4 connector's settings, read from one Airflow connection (secrets kept out of repr)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ingestion.common.retry import RetryPolicy
from mdp.errors import ConfigError

DEFAULT_ENDPOINT = "analyticsdata.googleapis.com"
DEFAULT_DIMENSIONS = (
    "date",
    "sessionSourceMedium",
    "sessionCampaignName",
    "deviceCategory",
    "country",
)
DEFAULT_METRICS = ("sessions", "totalUsers", "keyEvents", "totalRevenue")
#: GA4 keeps processing a day for 24-48 h (longer for late hits): re-pull this many days.
DEFAULT_LOOKBACK_DAYS = 3
#: The Data API caps a page at 250,000 rows.
MAX_PAGE_SIZE = 250_000
#: A property id as GA4 shows it (digits) or as the API names it (`properties/<digits>`).
_PROPERTY_ID = re.compile(r"(?:properties/)?([0-9]+)")


def property_id(value: Any, conn_id: str) -> str | None:
    """The connection's property as its digits (None when absent); a ConfigError naming the
    connection when it is not a GA4 property id (it is part of every request's path)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    found = _PROPERTY_ID.fullmatch(text)
    if found is None or isinstance(value, bool):
        raise ConfigError(
            f"Airflow connection {conn_id!r}: extra field property_id has {text[:60]!r}, which "
            "is not a GA4 property id (digits, or properties/<digits>)"
        )
    return found[1]


def _names(value: Any, default: Sequence[str], key: str) -> tuple[str, ...]:
    if value is None:
        return tuple(default)
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise ConfigError(f"GA4 connection extra {key!r} is empty")
    return tuple(names)


def _positive(extra: Mapping[str, Any], key: str, default: float) -> float:
    value = extra.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"GA4 connection extra {key!r} must be a number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"GA4 connection extra {key!r} must be positive, got {value!r}")
    return number


def _keyfile(extra: Mapping[str, Any]) -> dict[str, Any] | None:
    raw = extra.get("keyfile_dict") or extra.get("extra__google_cloud_platform__keyfile_dict")
    if raw is None:
        return None
    try:
        return dict(json.loads(raw) if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ConfigError("GA4 connection extra 'keyfile_dict' is not valid JSON") from None


@dataclass(frozen=True)
class Ga4Config:
    """Where and how to read one GA4 property: Data API reports and the event export."""

    conn_id: str
    property_id: str | None
    endpoint: str = DEFAULT_ENDPOINT
    credentials_kind: str = "default"
    dimensions: tuple[str, ...] = DEFAULT_DIMENSIONS
    metrics: tuple[str, ...] = DEFAULT_METRICS
    page_size: int = 100_000
    days_per_request: int = 7
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    timeout_seconds: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    export_path: str | None = None
    export_bigquery_dataset: str | None = None
    export_bigquery_project: str | None = None
    # Secrets: never printed (repr=False), never logged.
    access_token: str | None = field(default=None, repr=False)
    keyfile: dict[str, Any] | None = field(default=None, repr=False)
    key_path: str | None = field(default=None, repr=False)
    oauth: dict[str, str] | None = field(default=None, repr=False)

    @property
    def has_reports(self) -> bool:
        """Data API reports are pulled when the connection names a property."""
        return bool(self.property_id)

    @property
    def has_export(self) -> bool:
        """The event export is loaded when the connection says where it lives."""
        return bool(self.export_path or self.export_bigquery_dataset)

    @classmethod
    def from_connection(cls, conn_id: str, connection: Any) -> Ga4Config:
        """Read an Airflow connection (conn_type google_cloud_platform, settings in extra)."""
        extra: Mapping[str, Any] = connection.extra_dejson or {}
        oauth_keys = ("client_id", "client_secret", "refresh_token")
        oauth = (
            {k: str(extra[k]) for k in (*oauth_keys, "token_uri") if extra.get(k)}
            if all(extra.get(k) for k in oauth_keys)
            else None
        )
        page_size = int(_positive(extra, "page_size", 100_000))
        if page_size > MAX_PAGE_SIZE:
            raise ConfigError(f"GA4 page_size is capped at {MAX_PAGE_SIZE:,} rows by the API")
        lookback = extra.get("lookback_days", DEFAULT_LOOKBACK_DAYS)
        if not str(lookback).isdigit():
            raise ConfigError(
                f"GA4 connection extra 'lookback_days' must be a whole number of days, "
                f"got {lookback!r}"
            )
        return cls(
            conn_id=conn_id,
            property_id=property_id(extra.get("property_id"), conn_id),
            endpoint=str(extra.get("data_api_endpoint") or DEFAULT_ENDPOINT),
            credentials_kind=str(extra.get("credentials") or "default"),
            dimensions=_names(extra.get("dimensions"), DEFAULT_DIMENSIONS, "dimensions"),
            metrics=_names(extra.get("metrics"), DEFAULT_METRICS, "metrics"),
            page_size=page_size,
            days_per_request=int(_positive(extra, "days_per_request", 7)),
            lookback_days=int(lookback),
            timeout_seconds=_positive(extra, "timeout_seconds", 60.0),
            retry=RetryPolicy(
                attempts=int(_positive(extra, "retry_attempts", 8)),
                base_seconds=_positive(extra, "retry_base_seconds", 1.0),
                max_wait_seconds=_positive(extra, "retry_max_wait_seconds", 120.0),
            ),
            export_path=extra.get("export_path"),
            export_bigquery_dataset=extra.get("export_bigquery_dataset"),
            export_bigquery_project=extra.get("export_bigquery_project"),
            access_token=getattr(connection, "password", None) or None,
            keyfile=_keyfile(extra),
            key_path=extra.get("key_path"),
            oauth=oauth,
        )
