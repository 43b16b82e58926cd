"""Ground-truth tables: what evaluations of the pipeline, models and attribution measure against."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from sandbox.world import churn_outlook
from sandbox.world.arrow_columns import dates
from sandbox.world.config import WorldConfig
from sandbox.world.customers import CustomerHistory
from sandbox.world.delivery import Delivery
from sandbox.world.ltv import LTV_PARAMETERS, Purchases, expected_future
from sandbox.world.media_plan import META, MediaPlan
from sandbox.world.stats import bayes_auc
from sandbox.world.timeline import Timeline


def lead_truth(leads: pd.DataFrame) -> pa.Table:
    """True P(closed-won within 90 days of creation) and the drawn outcome, per lead."""
    original = leads.loc[~leads["is_deleted"]]
    return pa.table(
        {
            "lead_id": original["Id"].to_numpy(),
            "p_won_90d": original["p_win"].to_numpy(),
            "won_90d": original["won_90d"].to_numpy(),
        }
    )


def churn_truth(
    history: CustomerHistory,
    account_ids: np.ndarray,
    n_world_months: int,
    draws: int = churn_outlook.DRAWS,
) -> pa.Table:
    """Per churn-eligible customer-month of the world: true hazards and realised churn.

    p_churn_month is the hazard, a function of what the CRM shows on the month's 1st.
    p_churn_3m_point_in_time is P(churn within 3 months | that same information), the target of
    a point-in-time model (see churn_outlook; p_churn_3m_point_in_time_se is its Monte Carlo
    error, from `draws` simulated paths). p_churn_3m is P(churn within 3 months | the usage
    path that followed): it knows the next two months' usage, so no model can reach its AUC.
    """
    m0 = history.world_month0
    hazard = np.nan_to_num(history.hazard)
    survive = 1 - hazard
    three = 1 - survive[:, :-2] * survive[:, 1:-1] * survive[:, 2:]
    active = history.active()
    eligible = active & ~np.isnan(history.hazard)
    eligible[:, :m0] = False
    eligible[:, m0 + n_world_months :] = False
    cust, month = np.nonzero(eligible)
    churn = history.customers["churn_month"].to_numpy()[cust]
    point_in_time, error = churn_outlook.churn_3m_point_in_time(history, cust, month, draws)
    return pa.table(
        {
            "account_id": account_ids[history.customers["account"].to_numpy()[cust]],
            "month": dates(history.months[month]),
            "p_churn_month": hazard[cust, month],
            "p_churn_3m": three[cust, month],
            "p_churn_3m_point_in_time": point_in_time,
            "p_churn_3m_point_in_time_se": error,
            "churned_month": churn == month,
            "churned_3m": (churn >= month) & (churn <= month + 2),
        }
    )


def response_curve_truth(config: WorldConfig, plan: MediaPlan, delivery: Delivery) -> pa.Table:
    """Adstock and Hill parameters of every paid campaign (spend → expected clicks per day)."""
    c = plan.campaigns
    meta = (c["platform"] == META).to_numpy()
    return pa.table(
        {
            "platform": c["platform"].to_numpy(),
            "campaign_id": c["platform_id"].astype(str).to_numpy(),
            "campaign_name": c["name"].to_numpy(),
            "adstock_decay": c["adstock_decay"].to_numpy(),
            "hill_half_saturation": c["hill_half_saturation"].to_numpy(),
            "hill_slope": c["hill_slope"].to_numpy(),
            "hill_scale": delivery.hill_scale,
            "response_metric": np.where(meta, "inline_link_clicks", "clicks"),
            "click_to_session_rate": np.where(
                meta, config.click_to_session_rate_meta, config.click_to_session_rate_google
            ),
            "new_user_share": c["new_user_share"].to_numpy(),
        }
    )


def media_daily_truth(timeline: Timeline, plan: MediaPlan, delivery: Delivery) -> pa.Table:
    """Per campaign-day: spend, adstock, demand multiplier and the expected (true) clicks."""
    d = delivery.campaign_day
    c = plan.campaigns
    return pa.table(
        {
            "date": dates(timeline.days[d["day_idx"].to_numpy()]),
            "platform": c["platform"].to_numpy()[d["campaign_idx"]],
            "campaign_id": c["platform_id"].to_numpy()[d["campaign_idx"]].astype(str),
            "active": d["active"].to_numpy(),
            "daily_budget": d["budget"].to_numpy(),
            "spend": d["spend"].to_numpy(),
            "adstock": d["adstock"].to_numpy(),
            "season": d["season"].to_numpy(),
            "expected_clicks": d["expected_clicks"].to_numpy(),
        }
    )


def ltv_truth() -> pa.Table:
    """BG/NBD (time unit: day) and Gamma-Gamma parameters of the self-serve buyers."""
    params = LTV_PARAMETERS.as_dict()
    return pa.table({key: [value] for key, value in {**params, "time_unit": "day"}.items()})


def ltv_customer_truth(purchases: Purchases, pseudo_ids: np.ndarray) -> pa.Table:
    """Latent traits of each buyer and expectations for the 365 days after the world."""
    buyers = purchases.buyers
    counts = purchases.purchases.groupby("user").size().reindex(buyers["user"], fill_value=0)
    future = expected_future(buyers, 365.0)
    return pa.table(
        {
            "user_pseudo_id": pseudo_ids[buyers["user"].to_numpy()],
            "purchase_rate_per_day": buyers["purchase_rate"].to_numpy(),
            "dropout_probability": buyers["dropout"].to_numpy(),
            "spend_nu": buyers["nu"].to_numpy(),
            "mean_purchase_value": LTV_PARAMETERS.p / buyers["nu"].to_numpy(),
            "alive_at_end": buyers["alive_at_end"].to_numpy(),
            "purchases_in_world": counts.to_numpy().astype(np.int64),
            "expected_purchases_next_365d": future["expected_purchases"].to_numpy(),
            "expected_value_next_365d": future["expected_value"].to_numpy(),
        }
    )


def model_truth(lead: pa.Table, churn: pa.Table) -> pa.Table:
    """Best achievable (Bayes) AUC and base rate of each prediction target (3-month churn: of
    the point-in-time probability)."""
    targets = [
        ("lead_won_90d", lead["p_won_90d"].to_numpy(), lead["won_90d"].to_numpy()),
        ("churn_month", churn["p_churn_month"].to_numpy(), churn["churned_month"].to_numpy()),
        (
            "churn_3m",
            churn["p_churn_3m_point_in_time"].to_numpy(),
            churn["churned_3m"].to_numpy(),
        ),
    ]
    return pa.table(
        {
            "target": [t[0] for t in targets],
            "rows": [len(t[1]) for t in targets],
            "mean_probability": [float(t[1].mean()) if len(t[1]) else np.nan for t in targets],
            "observed_rate": [float(t[2].mean()) if len(t[2]) else np.nan for t in targets],
            "bayes_auc": [
                bayes_auc(t[1]) if 0 < t[1].sum() < len(t[1]) else np.nan for t in targets
            ],
        }
    )
