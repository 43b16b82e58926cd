"""Threshold rules from the seed on the marts and score tables: the alerts that hold on a day."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pandas as pd

from activation.alerts.model import Alert
from mdp.settings import Settings
from mdp.warehouse.base import Warehouse
from mdp.warehouse.sql import date_literal

log = logging.getLogger(__name__)

#: The rule whose alerts are grouped by the record owner who should act on them.
HOT_LEAD_RULE = "hot_lead_not_contacted"


def _window(settings: Settings, as_of: date) -> tuple[str, str]:
    first = as_of - timedelta(days=settings.alerts.window_days - 1)
    return date_literal(first), date_literal(as_of)


def _campaign_window(warehouse: Warehouse, settings: Settings, as_of: date) -> pd.DataFrame:
    first, last = _window(settings, as_of)
    table = warehouse.qualified_name("marts.fct_ad_performance_daily")
    sql = f"""
        select platform, campaign_id, max(campaign_name) as campaign_name,
            sum(spend) as spend, sum(platform_conversions) as conversions,
            sum(platform_conversion_value) as conversion_value
        from {table}
        where date between {first} and {last}
        group by platform, campaign_id
    """
    frame = warehouse.query(sql).to_pandas()
    for column in ("spend", "conversions", "conversion_value"):
        frame[column] = frame[column].astype(float)
    return frame


def campaign_rules(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Low ROAS and spend without conversions, per campaign over the trailing window."""
    rules = settings.alerts
    days = f"{rules.window_days} days"
    alerts = []
    spent = _campaign_window(warehouse, settings, as_of)
    spent = spent.loc[spent["spend"] > rules.min_spend]
    for row in spent.itertuples():
        entity = (row.platform, "campaign", str(row.campaign_id), str(row.campaign_name))
        roas = row.conversion_value / row.spend
        if roas < rules.min_roas:
            alerts.append(
                Alert(
                    "low_roas",
                    "high",
                    *entity,
                    f"ROAS over {days}",
                    f">= {rules.min_roas:.2f}",
                    f"{roas:.2f} on {row.spend:,.2f} spend",
                    "Cut the budget or pause the campaign; review targeting and bids.",
                )
            )
        if row.conversions == 0:
            alerts.append(
                Alert(
                    "no_conversions",
                    "high",
                    *entity,
                    f"conversions over {days}",
                    "> 0",
                    f"0 after {row.spend:,.2f} spend",
                    "Check the conversion tag and tracking first, then pause the campaign.",
                )
            )
    return alerts


def ctr_rule(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Ad sets / ad groups with enough impressions and a CTR under the floor."""
    rules = settings.alerts
    first, last = _window(settings, as_of)
    table = warehouse.qualified_name("marts.fct_ad_performance_daily")
    sql = f"""
        select platform, ad_group_id, max(ad_group_name) as ad_group_name,
            max(campaign_name) as campaign_name,
            sum(clicks) as clicks, sum(impressions) as impressions
        from {table}
        where date between {first} and {last}
        group by platform, ad_group_id
        having sum(impressions) >= {int(rules.min_impressions)}
    """
    alerts = []
    for row in warehouse.query(sql).to_pandas().itertuples():
        ctr = float(row.clicks) / float(row.impressions)
        if ctr < rules.min_ctr:
            alerts.append(
                Alert(
                    "low_ctr",
                    "medium",
                    row.platform,
                    "ad_group",
                    str(row.ad_group_id),
                    f"{row.campaign_name} / {row.ad_group_name}",
                    f"CTR over {rules.window_days} days",
                    f">= {rules.min_ctr:.2%}",
                    f"{ctr:.2%} on {int(row.impressions):,} impressions",
                    "Refresh the creative or narrow the audience and placements.",
                )
            )
    return alerts


def pacing_rule(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Campaigns whose spend strays from the planned daily budget (MDP_ALERTS__DAILY_BUDGETS)."""
    rules = settings.alerts
    if not rules.daily_budgets:
        log.info("pacing rule skipped: no planned budgets (MDP_ALERTS__DAILY_BUDGETS)")
        return []
    alerts = []
    for row in _campaign_window(warehouse, settings, as_of).itertuples():
        budget = rules.daily_budgets.get(str(row.campaign_id))
        budget = rules.daily_budgets.get(str(row.campaign_name), budget)
        if budget is None or budget <= 0:
            continue
        pacing = row.spend / (budget * rules.window_days)
        if abs(pacing - 1.0) > rules.pacing_tolerance:
            direction = "over" if pacing > 1 else "under"
            alerts.append(
                Alert(
                    "budget_pacing",
                    "medium",
                    row.platform,
                    "campaign",
                    str(row.campaign_id),
                    str(row.campaign_name),
                    f"spend vs plan over {rules.window_days} days",
                    f"{budget * rules.window_days:,.2f} (±{rules.pacing_tolerance:.0%})",
                    f"{row.spend:,.2f} ({pacing:.0%}, {direction}spending)",
                    "Align the platform budget with the plan, or update the plan.",
                )
            )
    return alerts


def _text(value: object) -> str:
    """A nullable text column's value, "" when null."""
    return value if isinstance(value, str) else ""


def _latest_scores(warehouse: Warehouse, table: str) -> str | None:
    """The physical name of a score table, or None (logged) when it was never written."""
    if not warehouse.table_exists(table):
        log.info("%s not found: its alert rule is skipped until models have scored", table)
        return None
    return warehouse.qualified_name(table)


def churn_rule(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Accounts whose latest churn probability is above the high-risk threshold."""
    table = _latest_scores(warehouse, "scores.churn_scores")
    if table is None:
        return []
    customers = warehouse.qualified_name("marts.dim_customers")
    threshold = settings.ml.churn_levels(int(settings.alerts.churn_horizon_months))[1]
    horizon = int(settings.alerts.churn_horizon_months)
    sql = f"""
        select scored.account_id, customers.account_name, scored.probability, scored.reason_1
        from {table} as scored
        left join {customers} as customers on scored.account_id = customers.account_id
        where scored.horizon_months = {horizon}
            and scored.feature_snapshot_date = (
                select max(feature_snapshot_date) from {table}
                where horizon_months = {horizon}
                    and feature_snapshot_date <= {date_literal(as_of)}
            )
            and scored.probability > {threshold}
    """
    return [
        Alert(
            "churn_risk",
            "high",
            "crm",
            "account",
            str(row.account_id),
            _text(row.account_name) or str(row.account_id),
            f"churn probability ({horizon} months)",
            f"<= {threshold:.0%}",
            f"{row.probability:.0%}",
            # the reason reads "▲ <what raises the risk>": the sentence is the driver
            f"Plan a retention call; top driver: {str(row.reason_1).lstrip('▲▼ ')}.",
            score=round(float(row.probability) * 100),
        )
        for row in warehouse.query(sql).to_pandas().itertuples()
    ]


def hot_lead_rule(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Hot leads that sales has not worked (still Open or MQL) N days after they came in."""
    scores = _latest_scores(warehouse, "scores.lead_scores")
    if scores is None:
        return []
    leads = warehouse.qualified_name("marts.fct_leads")
    cutoff = as_of - timedelta(days=settings.alerts.hot_lead_days)
    sql = f"""
        select leads.lead_id, leads.company_name, leads.owner_id, leads.owner_name,
            leads.created_date, scored.probability
        from {scores} as scored
        inner join {leads} as leads on scored.lead_id = leads.lead_id
        where scored.tier = 'Hot'
            and scored.feature_snapshot_date = (select max(feature_snapshot_date) from {scores})
            and leads.lead_status in ('Open', 'MQL')
            and not leads.is_converted
            and coalesce(leads.mql_at, leads.created_date) <= {date_literal(cutoff)}
    """
    days = settings.alerts.hot_lead_days
    alerts = []
    for row in warehouse.query(sql).to_pandas().itertuples():
        score = round(float(row.probability) * 100)
        untouched = (pd.Timestamp(as_of) - pd.Timestamp(row.created_date)).days
        alerts.append(
            Alert(
                HOT_LEAD_RULE,
                "medium",
                "crm",
                "lead",
                str(row.lead_id),
                _text(row.company_name) or str(row.lead_id),
                "days without sales activity",
                f"contact within {days} days",
                f"untouched {untouched} day{'' if untouched == 1 else 's'} "
                f"(since {row.created_date:%Y-%m-%d})",
                f"Call now: hot lead, score {score}.",
                owner_id=_text(row.owner_id),
                owner_name=_text(row.owner_name),
                score=score,
            )
        )
    return alerts


RULES = (campaign_rules, ctr_rule, pacing_rule, churn_rule, hot_lead_rule)


def evaluate_rules(warehouse: Warehouse, settings: Settings, as_of: date) -> list[Alert]:
    """Every rule's alerts on `as_of`."""
    return [alert for rule in RULES for alert in rule(warehouse, settings, as_of)]
