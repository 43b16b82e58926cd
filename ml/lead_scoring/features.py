"""Point-in-time lead features: what the CRM and the website show when the lead is created."""

from __future__ import annotations

import re
from datetime import date, timedelta
from math import exp

import numpy as np
import pandas as pd

from mdp.warehouse import Warehouse
from ml.common.classifier import FeatureSpec
from ml.common.marts import read_columns
from ml.common.reasons import Feature, about, count, labels

LABEL = "won_within_90_days"
TIME_COLUMN = "created_at"
WINDOW_DAYS = 90

NUMERIC = (
    "log_employees",
    "sessions_to_date",
    "pricing_sessions_to_date",
    "days_since_first_visit",
)
CATEGORICAL = ("seniority", "industry", "country", "lead_source", "lead_form")

SENIORITY_TEXT = {
    "c_level": "C-level contact",
    "vp": "VP-level contact",
    "director": "Director-level contact",
    "manager": "Manager-level contact",
    "individual": "Individual contributor",
    "other": "Student, intern or freelancer",
    "unknown": "Job title gives no seniority",
}
#: The site's forms (Lead_Form__c) as a rep would say what the lead did; others read by name.
FORM_TEXT = {
    "demo_request": "Booked a demo",
    "contact_sales": "Asked sales to get in touch",
    "content_download": "Downloaded a guide",
    "webinar_registration": "Registered for a webinar",
}


def _visits(value: float | None) -> str:
    if value is None or value < 1:
        return "No website visit seen before the form"
    if value == 1:
        return "Filled the form on the first website visit"
    return f"Visited the website {count(value, 'time', 'times')} up to the form"


def _pricing(value: float | None) -> str:
    if not value:
        return "Never viewed the pricing page"
    return f"Viewed the pricing page in {count(value, 'visit', 'visits')}"


def _first_visit(value: float | None) -> str:
    if value is None:
        return "No website history before the form"
    if value < 1:
        return "Filled the form on the day of the first website visit"
    return f"First visited the website {count(value, 'day', 'days')} before the form"


#: What each feature means, as a rep reads it (the values are as of the lead's creation).
FEATURES: dict[str, Feature] = {
    "log_employees": Feature(
        "Company size (employees, log)",
        lambda v: "Company size unknown" if v is None else f"Company of {about(exp(v))} employees",
    ),
    "sessions_to_date": Feature("Website visits up to the form", _visits),
    "pricing_sessions_to_date": Feature("Visits with a pricing-page view", _pricing),
    "days_since_first_visit": Feature("Days from first visit to the form", _first_visit),
    "seniority": Feature(
        "Seniority (from the job title)",
        lambda v: SENIORITY_TEXT.get(str(v), "Job title gives no seniority"),
    ),
    "industry": Feature("Industry", lambda v: "Industry unknown" if v is None else f"{v} industry"),
    "country": Feature("Country", lambda v: "Country unknown" if v is None else f"Based in {v}"),
    "lead_source": Feature(
        "Lead source",
        lambda v: "Lead source unknown" if v is None else f"Came in through {v}",
    ),
    "lead_form": Feature(
        "Form filled",
        lambda v: FORM_TEXT.get(str(v), "Form unknown" if v is None else f"Filled the form '{v}'"),
    ),
}
LABELS = labels(FEATURES)
#: Title keywords to seniority, first match wins (checked in this order).
SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("other", r"\b(?:student|intern|freelancer)\b"),
    ("c_level", r"\b(?:ceo|cto|coo|cfo|cmo|chief|founder|president)\b"),
    ("vp", r"\b(?:vp|vice president)\b"),
    ("director", r"\b(?:director|head of)\b"),
    ("individual", r"\b(?:representative|specialist|analyst|consultant|account manager)\b"),
    ("manager", r"\bmanager\b"),
)

LEAD_COLUMNS = (
    "lead_id",
    "created_at",
    "created_date",
    "lead_source",
    "lead_form",
    "ga_client_id",
    "industry",
    "employee_count",
    "country",
    "title",
    "is_won",
    "won_at",
    "lead_status",
    "is_converted",
    "owner_name",
)


def seniority(titles: pd.Series) -> pd.Series:
    """Seniority band of each job title ('unknown' when no rule matches or no title)."""
    lowered = titles.fillna("").str.lower()
    out = pd.Series("unknown", index=titles.index, dtype=object)
    assigned = pd.Series(False, index=titles.index)
    for band, pattern in SENIORITY_RULES:
        hit = lowered.str.contains(re.compile(pattern)) & ~assigned
        out[hit] = band
        assigned |= hit
    return out


def web_history_sql(warehouse: Warehouse) -> str:
    """Per lead: the visitor's sessions that started before the lead was created."""
    leads = warehouse.qualified_name("marts.fct_leads")
    sessions = warehouse.qualified_name("marts.fct_sessions")
    return f"""
        select
            leads.lead_id,
            count(sessions.session_key) as sessions_to_date,
            sum(case when sessions.pricing_page_views > 0 then 1 else 0 end)
                as pricing_sessions_to_date,
            min(sessions.session_date) as first_visit_date
        from {leads} as leads
        left join {sessions} as sessions
            on sessions.user_pseudo_id = leads.ga_client_id
            and sessions.started_at <= leads.created_at
        group by leads.lead_id
    """


def lead_frame(warehouse: Warehouse) -> pd.DataFrame:
    """Every lead with its features as of creation and its 90-day outcome (where it is known
    only later, the caller decides which rows to use)."""
    leads = read_columns(warehouse, "marts.fct_leads", LEAD_COLUMNS)
    web = warehouse.query(web_history_sql(warehouse)).to_pandas()
    frame = leads.merge(web, on="lead_id", how="left", validate="one_to_one")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True).dt.tz_localize(None)
    created_day = pd.to_datetime(frame["created_date"])
    frame["log_employees"] = np.log(pd.to_numeric(frame["employee_count"]).clip(lower=1))
    frame["sessions_to_date"] = frame["sessions_to_date"].fillna(0).astype(float)
    frame["pricing_sessions_to_date"] = frame["pricing_sessions_to_date"].fillna(0).astype(float)
    first_visit = pd.to_datetime(frame["first_visit_date"])
    frame["days_since_first_visit"] = (created_day - first_visit).dt.days.astype(float)
    frame["seniority"] = seniority(frame["title"])
    won_after = (pd.to_datetime(frame["won_at"]) - created_day).dt.days
    frame[LABEL] = frame["is_won"].fillna(False).astype(bool) & (won_after <= WINDOW_DAYS)
    return frame.sort_values(["created_at", "lead_id"], ignore_index=True)


def snapshot_date(frame: pd.DataFrame, snapshot: date | None) -> date:
    """The snapshot: the given day, else the day of the latest lead."""
    return snapshot or pd.Timestamp(frame["created_at"].max()).date()


def training_rows(frame: pd.DataFrame, snapshot: date) -> pd.DataFrame:
    """Leads whose 90-day window had closed by the snapshot (their outcome is known)."""
    cutoff = pd.Timestamp(snapshot - timedelta(days=WINDOW_DAYS))
    return frame[frame["created_at"] < cutoff].reset_index(drop=True)


def scoring_rows(
    frame: pd.DataFrame, snapshot: date, closed_statuses: tuple[str, ...] | list[str]
) -> pd.DataFrame:
    """Leads sales can still act on: created in the 90 days up to the snapshot (their outcome is
    open), neither converted nor in a closed status (MDP_ML__LEAD_CLOSED_STATUSES). Deleted
    leads never reach the marts."""
    end = pd.Timestamp(snapshot + timedelta(days=1))
    start = pd.Timestamp(snapshot - timedelta(days=WINDOW_DAYS))
    created = frame["created_at"]
    in_window = (created >= start) & (created < end)
    closed = frame["is_converted"].fillna(False).astype(bool) | frame["lead_status"].isin(
        list(closed_statuses)
    )
    return frame[in_window & ~closed].reset_index(drop=True)


def feature_spec(frame: pd.DataFrame) -> FeatureSpec:
    return FeatureSpec.infer(frame, NUMERIC, CATEGORICAL, LABELS)
