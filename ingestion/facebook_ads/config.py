"""Connector settings: the Airflow connection's extra plus the run's params, checked once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ingestion.common.windows import LOAD_WINDOW_DAYS
from mdp.errors import ConfigError

DEFAULT_WINDOWS = ("7d_click", "1d_view")
#: Meta restates conversions for 28 days (Airbyte's insights_lookback_window maximum too).
DEFAULT_LOOKBACK_DAYS = 28
_REQUIRED = ("app_id", "app_secret", "access_token", "account_id")
#: An ad account id as Meta documents it: `act_<digits>`, or the bare digits.
_ACCOUNT_ID = re.compile(r"(?:act_)?([0-9]+)")
#: Optional extra keys (and the field each sets) for tuning without code changes.
_TUNABLES = {
    "insights_lookback_days": "lookback_days",
    "sync_max_days": "sync_max_days",
    "async_chunk_days": "async_chunk_days",
    "async_concurrent_jobs": "async_concurrent_jobs",
    "load_window_days": "load_window_days",
    "page_limit": "page_limit",
    "request_timeout_seconds": "timeout_seconds",
    "async_poll_seconds": "poll_seconds",
    "async_poll_max_seconds": "poll_max_seconds",
    "async_job_timeout_seconds": "job_timeout_seconds",
    "async_job_attempts": "job_attempts",
    "retry_attempts": "retry_attempts",
    "max_retry_wait_seconds": "max_wait_seconds",
    "throttle_at_percent": "throttle_percent",
}


@dataclass(frozen=True)
class MetaConfig:
    """Credentials (never printed), accounts and the sync's knobs."""

    app_id: str
    app_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    account_ids: tuple[str, ...]
    conn_id: str = "mdp_facebook_ads"
    graph_url: str = "https://graph.facebook.com"
    api_version: str = "v26.0"
    attribution_windows: tuple[str, ...] = DEFAULT_WINDOWS
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    #: Pulls of at most this many days use one sync request per day; longer ones async jobs.
    sync_max_days: int = 7
    #: One async job per month of days: a job's fixed cost (create, poll) dwarfs its rows.
    async_chunk_days: int = 31
    #: Async jobs started before waiting: they run side by side on Meta's side, so a year's
    #: backfill waits about as long as two jobs rather than twelve.
    async_concurrent_jobs: int = 6
    #: Days of an async chunk checked and merged as one unit (sync pulls load a day at a time).
    #: A bad record is quarantined alone; the window is refused only when a window rule (the
    #: account totals) fails or it holds more bad records than MDP_INGEST allows.
    load_window_days: int = LOAD_WINDOW_DAYS
    page_limit: int = 500
    timeout_seconds: float = 60.0
    #: First poll after half a second, then 1.5x longer each time (up to poll_max_seconds).
    poll_seconds: float = 0.5
    poll_max_seconds: float = 30.0
    job_timeout_seconds: float = 3600.0
    job_attempts: int = 3
    retry_attempts: int = 8
    max_wait_seconds: float = 300.0
    throttle_percent: float = 85.0

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any], conn_id: str) -> MetaConfig:
        """Read a `facebook_social`-style connection extra (see README)."""
        missing = [k for k in _REQUIRED if not extra.get(k)]
        if missing:
            raise ConfigError(
                f"Airflow connection {conn_id!r} lacks extra field(s) {', '.join(missing)}"
            )
        tuning = {
            attr: _number(extra[key], type(getattr(cls, attr)), conn_id, key)
            for key, attr in _TUNABLES.items()
            if extra.get(key) is not None
        }
        windows = extra.get("attribution_windows") or DEFAULT_WINDOWS
        return cls(
            app_id=str(extra["app_id"]),
            app_secret=str(extra["app_secret"]),
            access_token=str(extra["access_token"]),
            account_ids=account_ids(extra["account_id"], conn_id),
            conn_id=conn_id,
            graph_url=str(extra.get("graph_url") or cls.graph_url).rstrip("/"),
            api_version=str(extra.get("api_version") or cls.api_version),
            attribution_windows=tuple(windows),
            **tuning,
        )

    def with_params(self, params: Mapping[str, Any]) -> MetaConfig:
        """Run params that override the connection (`lookback_days`)."""
        lookback = params.get("lookback_days")
        if lookback is None:
            return self
        try:
            days = int(lookback)
        except (TypeError, ValueError):
            raise ConfigError(f"lookback_days must be a whole number, got {lookback!r}") from None
        if not 0 <= days <= 394:
            raise ConfigError(f"lookback_days must be between 0 and 394, got {days}")
        return replace(self, lookback_days=days)


def account_ids(value: Any, conn_id: str) -> tuple[str, ...]:
    """The connection's ad accounts as `act_<digits>`, each checked against Meta's format: an
    id is a path segment of every Graph call, so anything else could address another edge."""
    entries = [v for v in value.split(",") if v.strip()] if isinstance(value, str) else value
    if not isinstance(entries, list | tuple):
        entries = [entries]
    ids = []
    for entry in entries:
        text = str(entry).strip()
        match = _ACCOUNT_ID.fullmatch(text)
        if match is None:
            raise ConfigError(
                f"Airflow connection {conn_id!r}: extra field account_id has {text[:60]!r}, "
                "which is not a Meta ad account id (act_<digits> or <digits>)"
            )
        ids.append(f"act_{match[1]}")
    return tuple(ids)


def _number(value: Any, kind: type, conn_id: str, key: str) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"Airflow connection {conn_id!r}: extra field {key} must be a number, got {value!r}"
        ) from None
