"""Per-customer LTV rows at a snapshot: self-serve buyers (non-contractual) and subscribers."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, Warehouse, get_warehouse
from ml.common.errors import NotEnoughDataError
from ml.common.runs import latest_state
from ml.common.scoring import with_provenance, write_scores
from ml.ltv.errors import LtvInputError
from ml.ltv.features import (
    baseline_churn_probability,
    latest_churn_probabilities,
    purchase_summary,
    subscription_summary,
)
from ml.ltv.train import MODEL, LtvModels, fit_ltv_models, models_from_state, snapshot_day
from ml.ltv.value import (
    DAYS_PER_YEAR,
    DEFAULT_ANNUAL_DISCOUNT_RATE,
    DEFAULT_GROSS_MARGIN,
    contractual_ltv,
    noncontractual_ltv,
)

LTV_SCHEMA = pa.schema(
    [
        ("ltv_type", pa.string()),  # contractual | non_contractual
        ("account_id", pa.string()),  # subscribers
        ("user_pseudo_id", pa.string()),  # self-serve buyers
        ("frequency", pa.int64()),
        ("recency_days", pa.float64()),
        ("t_days", pa.float64()),
        ("monetary", pa.float64()),
        ("expected_purchases", pa.float64()),
        ("p_alive", pa.float64()),
        ("expected_spend", pa.float64()),
        ("mrr", pa.float64()),
        ("churn_probability", pa.float64()),
        ("churn_probability_source", pa.string()),  # model | baseline
        ("expected_lifetime_months", pa.float64()),
        ("revenue_to_date", pa.float64()),
        ("predicted_ltv", pa.float64()),
        ("horizon_months", pa.int64()),
    ]
)


def _churn_lookup(
    accounts: pd.Series, churn_probabilities: pd.DataFrame | None, baseline: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly churn probability per account: the model's score, else the pooled baseline."""
    given = pd.Series(dtype=float)
    if churn_probabilities is not None:
        needed = {"account_id", "churn_probability"}
        if not needed <= set(churn_probabilities.columns):
            raise LtvInputError(
                "churn_probabilities needs columns account_id and churn_probability"
            )
        if churn_probabilities["account_id"].duplicated().any():
            raise LtvInputError("churn_probabilities has several rows for one account_id")
        given = churn_probabilities.set_index("account_id")["churn_probability"].astype(float)
    scored = accounts.map(given)
    if scored.isna().any() and baseline is None:
        raise LtvInputError(
            "no churn probability for some accounts and no churn history to fall back on; "
            "pass churn_probabilities for every account"
        )
    source = np.where(scored.notna(), "model", "baseline")
    return scored.fillna(baseline if baseline is not None else 0.0).to_numpy(float), source


def _noncontractual_rows(
    buyers: pd.DataFrame, models: LtvModels, horizon_months: int, **money: float
) -> pd.DataFrame:
    value = noncontractual_ltv(
        models.purchases,
        models.spend,
        buyers["frequency"],
        buyers["recency"],
        buyers["T"],
        buyers["monetary"].fillna(0.0),
        horizon=horizon_months * DAYS_PER_YEAR / 12,
        variant=models.variant,
        **money,
    )
    return pd.DataFrame(
        {
            "ltv_type": "non_contractual",
            "user_pseudo_id": buyers["user_pseudo_id"],
            "frequency": buyers["frequency"],
            "recency_days": buyers["recency"],
            "t_days": buyers["T"],
            "monetary": buyers["monetary"],
            "expected_purchases": value.expected_purchases,
            "p_alive": value.p_alive,
            "expected_spend": value.expected_spend,
            "revenue_to_date": buyers["revenue_to_date"],
            "predicted_ltv": value.ltv,
        }
    )


def customer_ltv(
    warehouse: Warehouse,
    snapshot_date: date,
    churn_probabilities: pd.DataFrame | None = None,
    *,
    models: LtvModels | None = None,
    include_buyers: bool = True,
    horizon_months: int = 12,
    annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
    gross_margin: float = DEFAULT_GROSS_MARGIN,
) -> pa.Table:
    """LTV over the next `horizon_months` for every buyer and every subscriber at the snapshot.

    Buyers: BG/NBD-family × Gamma-Gamma, fitted on the buyers at the snapshot unless `models`
    is given; left out when `include_buyers` is False (too few buyers to fit). Subscribers:
    contractual LTV from `churn_probabilities` (account_id, churn_probability: P(churn this
    month) from the churn model), else the pooled historical monthly churn rate. Fitted
    parameters travel in the schema metadata (key b"ltv_params").
    """
    if horizon_months < 1:
        raise LtvInputError(f"horizon_months must be >= 1, got {horizon_months}")
    money = {"annual_discount_rate": annual_discount_rate, "gross_margin": gross_margin}
    frames = []
    buyers = purchase_summary(warehouse, snapshot_date) if include_buyers else pd.DataFrame()
    if len(buyers):
        models = models or fit_ltv_models(buyers)
        frames.append(_noncontractual_rows(buyers, models, horizon_months, **money))
    subscribers = subscription_summary(warehouse, snapshot_date)
    if len(subscribers):
        baseline = baseline_churn_probability(warehouse, snapshot_date)
        hazard, source = _churn_lookup(subscribers["account_id"], churn_probabilities, baseline)
        value = contractual_ltv(
            subscribers["mrr"],
            hazard,
            horizon_months,
            guaranteed_months=subscribers["guaranteed_months"],
            **money,
        )
        frames.append(
            pd.DataFrame(
                {
                    "ltv_type": "contractual",
                    "account_id": subscribers["account_id"],
                    "mrr": subscribers["mrr"],
                    "churn_probability": hazard,
                    "churn_probability_source": source,
                    "expected_lifetime_months": value.expected_lifetime_months,
                    "revenue_to_date": subscribers["revenue_to_date"],
                    "predicted_ltv": value.ltv,
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    rows = rows.reindex(columns=LTV_SCHEMA.names).assign(horizon_months=horizon_months)
    rows["frequency"] = rows["frequency"].astype("Int64")
    table = pa.Table.from_pandas(rows, schema=LTV_SCHEMA, preserve_index=False)
    metadata = {"variant": models.variant, **models.params(), **money} if models else money
    return table.replace_schema_metadata({"ltv_params": json.dumps(metadata)})


TABLE = "scores.customer_ltv"
KEYS = ("ltv_type", "customer_id", "feature_snapshot_date")
SCORE_SCHEMA = pa.schema([("customer_id", pa.string()), *LTV_SCHEMA])


def score(settings: Settings, snapshot: date | None = None) -> list[LoadResult]:
    """Write scores.customer_ltv: one row per buyer (when the latest training run fitted the
    buyer models) and per subscriber, whose churn hazard is the churn model's latest 1-month
    probability where scored, else the pooled baseline rate."""
    serving = latest_state(MODEL, settings)
    state = serving.model
    models = models_from_state(state["buyer_model"]) if state["buyer_model"] else None
    with get_warehouse(settings) as warehouse:
        day = snapshot_day(warehouse, snapshot)
        churn = latest_churn_probabilities(warehouse, day)
        rows = customer_ltv(
            warehouse,
            day,
            churn,
            models=models,
            include_buyers=models is not None,
            horizon_months=state["horizon_months"],
        ).to_pandas()
    if rows.empty:
        raise NotEnoughDataError(f"no buyer or subscriber to value at {day}")
    rows.insert(0, "customer_id", rows["account_id"].fillna(rows["user_pseudo_id"]))
    table = with_provenance(rows, serving, day, SCORE_SCHEMA)
    return [write_scores(TABLE, table, KEYS, settings)]
