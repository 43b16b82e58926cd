"""The dimensions and metrics the emulated property offers, each defined over the event table.

Dimensions are materialised as columns of the prepared event table (see `events.py`), named by
their API name. Metrics are DuckDB aggregates over that table; `scale` divides the aggregate
into the reported unit (revenue is summed in exact micros, as GA4 stores it).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Events the emulated property marks as key events (GA4 marks `purchase` by default; the
#: marketing team marked the lead and sign-up events).
KEY_EVENTS = ("generate_lead", "sign_up", "purchase")


@dataclass(frozen=True)
class Dimension:
    api_name: str
    ui_name: str
    category: str
    description: str


@dataclass(frozen=True)
class Metric:
    api_name: str
    ui_name: str
    category: str
    description: str
    sql: str
    type: str  # a google.analytics.data.v1beta MetricType name
    scale: int = 1


_SESSIONS = "count(DISTINCT _session)"
_ENGAGED = "count(DISTINCT CASE WHEN _engaged THEN _session END)"
_USERS = "count(DISTINCT _user)"
_REVENUE = "coalesce(sum(_revenue_micros), 0)"
_KEY_EVENTS = "count(*) FILTER (WHERE _key_event)"

DIMENSIONS: dict[str, Dimension] = {
    d.api_name: d
    for d in (
        Dimension("date", "Date", "Time", "The date of the event, formatted as YYYYMMDD."),
        Dimension("year", "Year", "Time", "The four-digit year of the event."),
        Dimension("month", "Month", "Time", "The month of the event, 01 to 12."),
        Dimension("yearMonth", "Year month", "Time", "The year and month, YYYYMM."),
        Dimension("dayOfWeek", "Day of week", "Time", "Day of the week, 0 (Sunday) to 6."),
        Dimension("dateRange", "Date range", "General", "The name of the request's date range."),
        Dimension("eventName", "Event name", "Event", "The name of the event."),
        Dimension("sessionSource", "Session source", "Traffic source", "Source of the session."),
        Dimension("sessionMedium", "Session medium", "Traffic source", "Medium of the session."),
        Dimension(
            "sessionSourceMedium",
            "Session source / medium",
            "Traffic source",
            "Source and medium of the session, joined by ' / '.",
        ),
        Dimension(
            "sessionCampaignName",
            "Session campaign",
            "Traffic source",
            "Campaign name of the session.",
        ),
        Dimension(
            "sessionManualAdContent",
            "Session manual ad content",
            "Traffic source",
            "utm_content of the session.",
        ),
        Dimension(
            "sessionManualTerm", "Session manual term", "Traffic source", "utm_term of the session."
        ),
        Dimension(
            "sessionDefaultChannelGroup",
            "Session default channel group",
            "Traffic source",
            "The session's default channel group, by GA4's channel rules.",
        ),
        Dimension("deviceCategory", "Device category", "Platform / device", "Device type."),
        Dimension("operatingSystem", "Operating system", "Platform / device", "The OS."),
        Dimension("browser", "Browser", "Platform / device", "The browser."),
        Dimension("country", "Country", "Geography", "The user's country."),
        Dimension("city", "City", "Geography", "The user's city."),
        Dimension("pagePath", "Page path", "Page / screen", "URL path of the page."),
        Dimension("pageLocation", "Page location", "Page / screen", "Full URL of the page."),
        Dimension("pageTitle", "Page title", "Page / screen", "Title of the page."),
        Dimension(
            "landingPage", "Landing page", "Page / screen", "Path of the session's first page."
        ),
        Dimension("newVsReturning", "New / returning", "User", "'new' on a user's first session."),
    )
}

METRICS: dict[str, Metric] = {
    m.api_name: m
    for m in (
        Metric("sessions", "Sessions", "Session", "Distinct sessions.", _SESSIONS, "TYPE_INTEGER"),
        Metric(
            "engagedSessions",
            "Engaged sessions",
            "Session",
            "Engaged sessions.",
            _ENGAGED,
            "TYPE_INTEGER",
        ),
        Metric(
            "engagementRate",
            "Engagement rate",
            "Session",
            "engagedSessions / sessions.",
            f"{_ENGAGED} / {_SESSIONS}",
            "TYPE_FLOAT",
        ),
        Metric(
            "bounceRate",
            "Bounce rate",
            "Session",
            "1 - engagementRate.",
            f"1 - {_ENGAGED} / {_SESSIONS}",
            "TYPE_FLOAT",
        ),
        Metric("totalUsers", "Total users", "User", "Distinct users.", _USERS, "TYPE_INTEGER"),
        Metric(
            "activeUsers",
            "Active users",
            "User",
            "Distinct engaged users.",
            "count(DISTINCT CASE WHEN _active THEN _user END)",
            "TYPE_INTEGER",
        ),
        Metric(
            "newUsers",
            "New users",
            "User",
            "Distinct users with a first_visit.",
            "count(DISTINCT CASE WHEN \"eventName\" = 'first_visit' THEN _user END)",
            "TYPE_INTEGER",
        ),
        Metric(
            "sessionsPerUser",
            "Sessions per user",
            "Session",
            "sessions / totalUsers.",
            f"{_SESSIONS} / {_USERS}",
            "TYPE_FLOAT",
        ),
        Metric("eventCount", "Event count", "Event", "Events.", "count(*)", "TYPE_INTEGER"),
        Metric(
            "keyEvents",
            "Key events",
            "Event",
            "Events whose name is a key event.",
            _KEY_EVENTS,
            "TYPE_INTEGER",
        ),
        Metric(
            "conversions",
            "Conversions",
            "Event",
            "Legacy name of keyEvents.",
            _KEY_EVENTS,
            "TYPE_INTEGER",
        ),
        Metric(
            "screenPageViews",
            "Views",
            "Page / screen",
            "page_view events.",
            "count(*) FILTER (WHERE \"eventName\" = 'page_view')",
            "TYPE_INTEGER",
        ),
        Metric(
            "transactions",
            "Transactions",
            "Ecommerce",
            "purchase events.",
            "count(*) FILTER (WHERE \"eventName\" = 'purchase')",
            "TYPE_INTEGER",
        ),
        Metric(
            "totalRevenue",
            "Total revenue",
            "Revenue",
            "Sum of purchase event values.",
            _REVENUE,
            "TYPE_CURRENCY",
            1_000_000,
        ),
        Metric(
            "purchaseRevenue",
            "Purchase revenue",
            "Revenue",
            "Sum of purchase event values.",
            _REVENUE,
            "TYPE_CURRENCY",
            1_000_000,
        ),
        Metric(
            "userEngagementDuration",
            "User engagement",
            "User",
            "Engagement time in seconds.",
            "coalesce(sum(_engagement_msec), 0) // 1000",
            "TYPE_SECONDS",
        ),
    )
}
