"""The event table as the Data API reads it: one DuckDB table per data snapshot, with every
dimension materialised as a column named by its API name and helper columns for the metrics."""

from __future__ import annotations

from typing import Any

import duckdb

from sandbox.emulators.ga4.catalog import KEY_EVENTS

_SEARCH_SOURCES = ("google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia")
_SOCIAL_SOURCES = (
    "facebook",
    "instagram",
    "linkedin",
    "linkedin.com",
    "lnkd.in",
    "t.co",
    "twitter",
    "x.com",
    "m.facebook.com",
    "l.facebook.com",
    "facebook.com",
    "instagram.com",
    "reddit",
    "reddit.com",
    "youtube",
    "youtube.com",
    "pinterest",
    "tiktok",
)
_PAID_MEDIUM = r"^(.*cp.*|ppc|retargeting|paid.*)$"
_SOCIAL_MEDIUMS = ("social", "social-network", "social-media", "sm", "social network")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# GA4's default channel rules, first match wins (the source lists are the common subset).
_CHANNEL_GROUP = f"""CASE
    WHEN source = '(direct)' AND medium IN ('(none)', '(not set)') THEN 'Direct'
    WHEN {_in("source", _SEARCH_SOURCES)} AND regexp_full_match(medium, '{_PAID_MEDIUM}')
        THEN 'Paid Search'
    WHEN {_in("source", _SOCIAL_SOURCES)} AND regexp_full_match(medium, '{_PAID_MEDIUM}')
        THEN 'Paid Social'
    WHEN {_in("source", _SOCIAL_SOURCES)} OR {_in("medium", _SOCIAL_MEDIUMS)}
        THEN 'Organic Social'
    WHEN {_in("source", _SEARCH_SOURCES)} OR medium = 'organic' THEN 'Organic Search'
    WHEN {_in("source", ("email", "e-mail"))} OR {_in("medium", ("email", "e-mail"))}
        THEN 'Email'
    WHEN medium = 'affiliate' THEN 'Affiliates'
    WHEN medium IN ('referral', 'app', 'link') THEN 'Referral'
    ELSE 'Unassigned'
END"""

_PREPARE = f"""
CREATE TABLE {{name}} AS
WITH base AS (
    SELECT
        event_date,
        event_timestamp,
        CAST(event_name AS VARCHAR) AS event_name,
        CAST(user_pseudo_id AS VARCHAR) AS user_pseudo_id,
        ga_session_id,
        ga_session_number,
        coalesce(session_engaged, false) AS session_engaged,
        coalesce(CAST(session_source AS VARCHAR), '(not set)') AS source,
        coalesce(CAST(session_medium AS VARCHAR), '(not set)') AS medium,
        CAST(page_location AS VARCHAR) AS page_location,
        nullif(regexp_extract(CAST(page_location AS VARCHAR), '^[a-z]+://[^/?#]*([^?#]*)', 1), '')
            AS page_path,
        engagement_time_msec,
        event_value,
        {{rest}}
    FROM {{source}}
)
SELECT
    event_date AS _day,
    strftime(event_date, '%Y%m%d') AS "date",
    strftime(event_date, '%Y') AS "year",
    strftime(event_date, '%m') AS "month",
    strftime(event_date, '%Y%m') AS "yearMonth",
    CAST(dayofweek(event_date) AS VARCHAR) AS "dayOfWeek",
    event_name AS "eventName",
    source AS "sessionSource",
    medium AS "sessionMedium",
    source || ' / ' || medium AS "sessionSourceMedium",
    coalesce(campaign, '(not set)') AS "sessionCampaignName",
    coalesce(content, '(not set)') AS "sessionManualAdContent",
    coalesce(term, '(not set)') AS "sessionManualTerm",
    {_CHANNEL_GROUP} AS "sessionDefaultChannelGroup",
    coalesce(device_category, '(not set)') AS "deviceCategory",
    coalesce(operating_system, '(not set)') AS "operatingSystem",
    coalesce(browser, '(not set)') AS "browser",
    coalesce(country, '(not set)') AS "country",
    coalesce(city, '(not set)') AS "city",
    coalesce(page_path, '/') AS "pagePath",
    coalesce(page_location, '(not set)') AS "pageLocation",
    coalesce(page_title, '(not set)') AS "pageTitle",
    coalesce(first_value(page_path IGNORE NULLS) OVER (
        PARTITION BY user_pseudo_id, ga_session_id ORDER BY event_timestamp
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ), '(not set)') AS "landingPage",
    CASE WHEN ga_session_number = 1 THEN 'new' ELSE 'returning' END AS "newVsReturning",
    user_pseudo_id AS _user,
    user_pseudo_id || '.' || CAST(ga_session_id AS VARCHAR) AS _session,
    session_engaged AS _engaged,
    session_engaged OR event_name = 'first_visit' OR coalesce(engagement_time_msec, 0) > 0
        AS _active,
    {_in("event_name", KEY_EVENTS)} AS _key_event,
    CASE WHEN event_name = 'purchase' THEN CAST(round(event_value * 1e6) AS BIGINT) END
        AS _revenue_micros,
    engagement_time_msec AS _engagement_msec
FROM base
"""

_PASSTHROUGH = (
    "session_campaign",
    "session_content",
    "session_term",
    "device_category",
    "operating_system",
    "browser",
    "country",
    "city",
    "page_title",
)
_RENAMED = {"session_campaign": "campaign", "session_content": "content", "session_term": "term"}


def prepare(connection: duckdb.DuckDBPyConnection, name: str, events: Any) -> None:
    """Load a pyarrow table of GA4 events (the world's `ga4_events` schema) as table `name`."""
    rest = ",\n        ".join(
        f"CAST({column} AS VARCHAR) AS {_RENAMED.get(column, column)}" for column in _PASSTHROUGH
    )
    connection.register("_incoming", events)
    try:
        connection.execute(_PREPARE.format(name=name, rest=rest, source="_incoming"))
    finally:
        connection.unregister("_incoming")
