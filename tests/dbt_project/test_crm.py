"""The CRM marts equal the tiny world's Salesforce truth.

Exact figures: lead and converted-lead counts, won deals, won and total opportunity amount,
MRR of every world month (truth `totals`), row counts of every staged Salesforce object net of
deleted records, and realised churn per account-month (`churn_truth`). Where the truth has no
figure (e-mail hashes, usage and case features, revenue to date) the marts are checked against
the world's own Salesforce tables, recomputed here independently.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pandas as pd
import pytest

from tests.dbt_project.conftest import scalar, truth_total

_SALESFORCE_STAGING = {
    "sf_lead": "stg_salesforce__leads",
    "sf_contact": "stg_salesforce__contacts",
    "sf_account": "stg_salesforce__accounts",
    "sf_opportunity": "stg_salesforce__opportunities",
    "sf_opportunity_history": "stg_salesforce__opportunity_history",
    "sf_campaign": "stg_salesforce__campaigns",
    "sf_campaign_member": "stg_salesforce__campaign_members",
    "sf_case": "stg_salesforce__cases",
    "sf_user": "stg_salesforce__users",
    "sf_subscription": "stg_salesforce__subscriptions",
    "sf_product_usage": "stg_salesforce__product_usage",
}


def _live(world: Any, name: str) -> pd.DataFrame:
    """A world Salesforce table without its deleted records."""
    frame = world.tables[name].to_pandas()
    if "IsDeleted" not in frame:  # sf_user: nobody deletes users
        return frame
    return frame.loc[~frame["IsDeleted"]].reset_index(drop=True)


def _frame(con: Any, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _mrr_months(world: Any) -> dict[str, float]:
    """The truth's MRR per world month, keyed YYYY-MM."""
    return {
        row["period"]: row["value"]
        for row in world.truth["totals"].to_pylist()
        if (row["source"], row["metric"]) == ("sf_subscription", "mrr")
    }


@pytest.mark.parametrize(("table", "model"), sorted(_SALESFORCE_STAGING.items()))
def test_staging_keeps_every_live_record(
    marts: Any, tiny_world: Any, table: str, model: str
) -> None:
    rows = truth_total(tiny_world, table, "rows")  # truth row counts include deleted records
    assert rows == tiny_world.tables[table].num_rows
    assert scalar(marts, f"select count(*) from staging.{model}") == len(_live(tiny_world, table))


def test_fct_leads_are_the_worlds_live_leads(marts: Any, tiny_world: Any) -> None:
    leads = _live(tiny_world, "sf_lead")
    mart = _frame(marts, "select lead_id, is_converted from marts.fct_leads")
    assert len(mart) == truth_total(tiny_world, "sf_lead", "leads") == len(leads)
    assert set(mart["lead_id"]) == set(leads["Id"])
    assert mart["is_converted"].sum() == truth_total(tiny_world, "sf_lead", "converted_leads")


def test_fct_leads_carry_tracking_ids_and_only_a_hashed_email(marts: Any, tiny_world: Any) -> None:
    leads = _live(tiny_world, "sf_lead").set_index("Id")
    mart = _frame(
        marts,
        "select lead_id, email_sha256, ga_client_id, utm_source, utm_campaign, gclid, fbclid,"
        " converted_opportunity_id from marts.fct_leads",
    ).set_index("lead_id")
    expected = leads["Email"].map(lambda e: hashlib.sha256(e.strip().lower().encode()).hexdigest())
    assert (mart["email_sha256"] == expected.reindex(mart.index)).all()
    for column, field in (
        ("ga_client_id", "GA_Client_ID__c"),
        ("utm_source", "UTM_Source__c"),
        ("utm_campaign", "UTM_Campaign__c"),
        ("gclid", "GCLID__c"),
        ("fbclid", "FBCLID__c"),
        ("converted_opportunity_id", "ConvertedOpportunityId"),
    ):
        pd.testing.assert_series_equal(
            mart[column].fillna("∅"),
            leads[field].reindex(mart.index).fillna("∅"),
            check_names=False,
        )


def test_no_marts_column_named_like_email_or_phone_is_unhashed(marts: Any) -> None:
    columns = marts.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts'"
        " and regexp_matches(lower(column_name), 'email|phone|mobile')"
    ).fetchall()
    assert ("fct_leads", "email_sha256") in columns
    for table, column in columns:
        unhashed = scalar(
            marts,
            f'select count(*) from marts."{table}" where "{column}" is not null'
            f" and not regexp_full_match(cast(\"{column}\" as varchar), '[0-9a-f]{{64}}')",
        )
        assert unhashed == 0, f"marts.{table}.{column} holds values that are not SHA-256 hex"


def test_fct_opportunities_equal_the_truth(marts: Any, tiny_world: Any) -> None:
    opportunities = _live(tiny_world, "sf_opportunity")
    assert scalar(marts, "select count(*) from marts.fct_opportunities") == len(opportunities)
    assert scalar(
        marts, "select count(*) from marts.fct_opportunities where is_won"
    ) == truth_total(tiny_world, "sf_opportunity", "won_deals")
    won_amount = scalar(marts, "select sum(amount) from marts.fct_opportunities where is_won")
    assert float(won_amount) == pytest.approx(
        truth_total(tiny_world, "sf_opportunity", "won_amount"), abs=0.005
    )
    amount = scalar(marts, "select sum(amount) from marts.fct_opportunities")
    assert float(amount) == pytest.approx(
        truth_total(tiny_world, "sf_opportunity", "amount"), abs=0.005
    )


def test_fct_opportunities_know_the_lead_they_came_from(marts: Any, tiny_world: Any) -> None:
    leads = _live(tiny_world, "sf_lead")
    converted = leads.dropna(subset=["ConvertedOpportunityId"])
    expected = dict(zip(converted["ConvertedOpportunityId"], converted["Id"], strict=True))
    mart = dict(
        marts.execute(
            "select opportunity_id, lead_id from marts.fct_opportunities where lead_id is not null"
        ).fetchall()
    )
    assert mart == expected
    assert len(mart) == truth_total(tiny_world, "sf_lead", "converted_leads")


def test_fct_mrr_monthly_equals_the_truth_every_month(marts: Any, tiny_world: Any) -> None:
    months = _mrr_months(tiny_world)
    mart = dict(
        marts.execute(
            "select strftime(month_start, '%Y-%m'), sum(mrr) from marts.fct_mrr_monthly group by 1"
        ).fetchall()
    )
    assert len(months) == 12
    for month, mrr in months.items():
        assert float(mart[month]) == pytest.approx(mrr, abs=0.005), month
    # the snapshot is the end of the world: no month after it is reported
    assert max(mart) == max(months)


def test_fct_mrr_monthly_movements_bridge_the_months(marts: Any, tiny_world: Any) -> None:
    months = sorted(_mrr_months(tiny_world).items())
    bridge = dict(
        (row[0], row[1:])
        for row in marts.execute(
            "select strftime(month_start, '%Y-%m'), sum(previous_mrr),"
            " sum(new_mrr + expansion_mrr + contraction_mrr + churned_mrr + reactivation_mrr)"
            " from marts.fct_mrr_monthly group by 1"
        ).fetchall()
    )
    for (_, last_mrr), (month, mrr) in itertools.pairwise(months):
        previous, movements = bridge[month]
        assert float(previous) == pytest.approx(last_mrr, abs=0.005), month
        assert float(previous + movements) == pytest.approx(mrr, abs=0.005), month


def test_churn_panel_matches_churn_truth(marts: Any, tiny_world: Any) -> None:
    truth = tiny_world.truth["churn_truth"].to_pandas()
    truth["month"] = pd.to_datetime(truth["month"])
    panel = _frame(
        marts,
        "select account_id, month_start as month, is_past_minimum_term, churned_in_month,"
        " churned_within_3_months from marts.fct_customer_months",
    )
    panel["month"] = pd.to_datetime(panel["month"])
    world_months = panel["month"].between(pd.Timestamp(2025, 1, 1), pd.Timestamp(2025, 12, 1))
    eligible = panel.loc[panel["is_past_minimum_term"] & world_months]
    both = truth.merge(eligible, on=["account_id", "month"], how="inner", validate="1:1")
    # the churn-eligible account-months of the world are exactly the truth's rows
    assert len(both) == len(truth) == len(eligible)
    assert both["churned_month"].sum() > 0
    assert (both["churned_in_month"] == both["churned_month"]).all()
    known = both.dropna(subset=["churned_within_3_months"])
    assert len(known) >= len(both) - 2 * both["account_id"].nunique()  # Nov and Dec only
    assert (known["churned_within_3_months"].astype(bool) == known["churned_3m"]).all()


def test_churn_panel_features_come_from_before_the_month(marts: Any, tiny_world: Any) -> None:
    usage = _live(tiny_world, "sf_product_usage")
    usage["month"] = pd.to_datetime(usage["Month__c"])
    cases = _live(tiny_world, "sf_case")
    panel = _frame(
        marts,
        "select account_id, month_start, previous_month_active_users,"
        " previous_month_seats_used_ratio, cases_opened_last_90_days, open_cases"
        " from marts.fct_customer_months",
    )
    panel["month_start"] = pd.to_datetime(panel["month_start"])
    previous = usage.assign(month_start=usage["month"] + pd.DateOffset(months=1))
    merged = panel.merge(
        previous[["Account__c", "month_start", "Active_Users__c", "Seats__c"]],
        left_on=["account_id", "month_start"],
        right_on=["Account__c", "month_start"],
        how="left",
    )
    assert merged["Active_Users__c"].notna().mean() > 0.9
    pd.testing.assert_series_equal(
        merged["previous_month_active_users"].astype("float"),
        merged["Active_Users__c"].astype("float"),
        check_names=False,
    )
    ratio = merged["Active_Users__c"] / merged["Seats__c"]
    assert merged["previous_month_seats_used_ratio"].to_numpy() == pytest.approx(
        ratio.to_numpy(), nan_ok=True
    )
    created = cases["CreatedDate"].dt.tz_convert(None)
    closed = cases["ClosedDate"].dt.tz_convert(None)
    for row in panel.itertuples():
        start = row.month_start
        mine = cases["AccountId"] == row.account_id
        before = mine & (created < start)
        assert (
            row.cases_opened_last_90_days
            == (before & (created >= start - pd.Timedelta(days=90))).sum()
        )
        assert row.open_cases == (before & (closed.isna() | (closed >= start))).sum()


def test_dim_customers_status_mrr_and_revenue(marts: Any, tiny_world: Any) -> None:
    subscriptions = _live(tiny_world, "sf_subscription")
    accounts = _live(tiny_world, "sf_account")
    customers = _frame(
        marts,
        "select account_id, customer_status, current_mrr, revenue_to_date from marts.dim_customers",
    ).set_index("account_id")
    assert set(customers.index) == set(subscriptions["Account__c"])
    last_month = max(_mrr_months(tiny_world))
    assert float(customers["current_mrr"].sum()) == pytest.approx(
        _mrr_months(tiny_world)[last_month], abs=0.005
    )
    former = set(accounts.loc[accounts["Type"] == "Former Customer", "Id"])
    assert set(customers.index[customers["customer_status"] == "churned"]) == former
    # revenue to date: MRR of every month whose first day a segment covers, up to December
    end = pd.Timestamp(2025, 12, 1)
    start = pd.to_datetime(subscriptions["Start_Date__c"])
    first = start.where(start.dt.day == 1, start + pd.offsets.MonthBegin(1))
    last = pd.to_datetime(subscriptions["End_Date__c"]).dt.to_period("M").dt.to_timestamp()
    last = last.fillna(end).clip(upper=end)
    months = ((last.dt.year - first.dt.year) * 12 + last.dt.month - first.dt.month + 1).clip(
        lower=0
    )
    revenue = (subscriptions["MRR__c"] * months).groupby(subscriptions["Account__c"]).sum()
    assert customers["revenue_to_date"].astype(float).to_numpy() == pytest.approx(
        revenue.reindex(customers.index).to_numpy(), abs=0.01
    )


def test_fct_funnel_counts_every_lead_once(marts: Any, tiny_world: Any) -> None:
    leads = _live(tiny_world, "sf_lead")
    opportunities = _live(tiny_world, "sf_opportunity").set_index("Id")
    won = leads["ConvertedOpportunityId"].dropna().map(opportunities["IsWon"]).sum()
    totals = marts.execute(
        "select sum(leads), sum(mqls), sum(sqls), sum(opportunities), sum(won_deals)"
        " from marts.fct_funnel"
    ).fetchone()
    assert totals[0] == truth_total(tiny_world, "sf_lead", "leads")
    assert totals[3] == truth_total(tiny_world, "sf_lead", "converted_leads")
    assert totals[4] == won
    assert list(totals) == sorted(totals, reverse=True)


def test_new_customers_match_the_new_mrr_movements(marts: Any) -> None:
    new_customers = dict(
        marts.execute(
            "select month_start, sum(new_customers) from marts.fct_new_customers_monthly group by 1"
        ).fetchall()
    )
    movements = dict(
        marts.execute(
            "select month_start, count(*) from marts.fct_mrr_monthly"
            " where movement_type = 'new' group by 1"
        ).fetchall()
    )
    assert new_customers == movements
