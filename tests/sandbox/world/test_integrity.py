"""Referential integrity and physical plausibility of every source table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sandbox.world import World
from sandbox.world.ids import SF_PREFIX

# (table, column) → (referenced table, key column)
FOREIGN_KEYS = {
    ("meta_adsets", "campaign_id"): ("meta_campaigns", "id"),
    ("meta_ads", "adset_id"): ("meta_adsets", "id"),
    ("meta_ads", "campaign_id"): ("meta_campaigns", "id"),
    ("meta_ad_insights_daily", "ad_id"): ("meta_ads", "id"),
    ("meta_ad_insights_daily", "campaign_id"): ("meta_campaigns", "id"),
    ("google_ads_ad_groups", "campaign_id"): ("google_ads_campaigns", "id"),
    ("google_ads_ads", "ad_group_id"): ("google_ads_ad_groups", "id"),
    ("google_ads_metrics_daily", "ad_id"): ("google_ads_ads", "ad_id"),
    ("google_ads_metrics_daily", "campaign_id"): ("google_ads_campaigns", "id"),
    ("sf_lead", "OwnerId"): ("sf_user", "Id"),
    ("sf_lead", "ConvertedAccountId"): ("sf_account", "Id"),
    ("sf_lead", "ConvertedContactId"): ("sf_contact", "Id"),
    ("sf_lead", "ConvertedOpportunityId"): ("sf_opportunity", "Id"),
    ("sf_lead", "GA_Client_ID__c"): ("ga4_events", "user_pseudo_id"),
    ("sf_account", "OwnerId"): ("sf_user", "Id"),
    ("sf_contact", "AccountId"): ("sf_account", "Id"),
    ("sf_opportunity", "AccountId"): ("sf_account", "Id"),
    ("sf_opportunity", "CampaignId"): ("sf_campaign", "Id"),
    ("sf_opportunity_history", "OpportunityId"): ("sf_opportunity", "Id"),
    ("sf_campaign_member", "CampaignId"): ("sf_campaign", "Id"),
    ("sf_campaign_member", "LeadId"): ("sf_lead", "Id"),
    ("sf_campaign_member", "ContactId"): ("sf_contact", "Id"),
    ("sf_case", "AccountId"): ("sf_account", "Id"),
    ("sf_case", "ContactId"): ("sf_contact", "Id"),
    ("sf_subscription", "Account__c"): ("sf_account", "Id"),
    ("sf_product_usage", "Account__c"): ("sf_account", "Id"),
}
SF_OBJECTS = {
    "sf_user": "User",
    "sf_account": "Account",
    "sf_contact": "Contact",
    "sf_lead": "Lead",
    "sf_opportunity": "Opportunity",
    "sf_opportunity_history": "OpportunityHistory",
    "sf_campaign": "Campaign",
    "sf_campaign_member": "CampaignMember",
    "sf_case": "Case",
    "sf_subscription": "Subscription__c",
    "sf_product_usage": "Product_Usage__c",
}


def _values(table: pa.Table, column: str) -> set[object]:
    array = table[column].combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return set(pc.drop_null(array).to_pylist())


@pytest.mark.parametrize(("child", "parent"), FOREIGN_KEYS.items(), ids=lambda k: ".".join(k))
def test_foreign_keys_resolve(
    tiny_world: World, child: tuple[str, str], parent: tuple[str, str]
) -> None:
    keys = _values(tiny_world.tables[child[0]], child[1])
    missing = keys - _values(tiny_world.tables[parent[0]], parent[1])
    assert keys and not missing, f"{len(missing)} dangling, e.g. {sorted(missing)[:3]}"


def test_delivery_numbers_are_physically_possible(tiny_world: World) -> None:
    meta = tiny_world.tables["meta_ad_insights_daily"].to_pandas()
    google = tiny_world.tables["google_ads_metrics_daily"].to_pandas()
    assert (meta["spend"] >= 0).all() and (google["cost_micros"] >= 0).all()
    assert (meta["clicks"] <= meta["impressions"]).all()
    assert (google["clicks"] <= google["impressions"]).all()
    assert (meta["reach"] <= meta["impressions"]).all()
    assert (meta["inline_link_clicks"] <= meta["clicks"]).all()
    assert (meta["lead_1d_click"] <= meta["lead_7d_click"]).all()
    assert (google["conversions"] <= google["all_conversions"] + 1e-9).all()
    assert (meta["spend"] == meta["spend"].round(2)).all()


def test_paid_sessions_never_exceed_paid_clicks(small_world: World) -> None:
    """Every paid GA4 session comes from a click on its ad that day (some clicks are lost)."""
    events = small_world.tables["ga4_events"].to_pandas()
    starts = events.loc[events["event_name"] == "session_start"]
    google = small_world.tables["google_ads_metrics_daily"].to_pandas()
    search = starts.loc[starts["session_medium"] == "cpc"].assign(
        ad_id=lambda f: f["session_content"].astype(str).astype(np.int64)
    )
    sessions = search.groupby(["ad_id", "event_date"], observed=True).size()
    clicks = google.set_index(["ad_id", "date"])["clicks"].reindex(sessions.index)
    assert (sessions <= clicks).all()
    assert sessions.sum() < google["clicks"].sum()
    meta = small_world.tables["meta_ad_insights_daily"].to_pandas()
    ads = small_world.tables["meta_ads"].to_pandas()
    social = starts.loc[starts["session_medium"] == "paid_social"].merge(
        ads[["id", "name", "campaign_id"]], left_on="session_content", right_on="name"
    )
    sessions = social.groupby(["id", "event_date"], observed=True).size()
    link_clicks = meta.set_index(["ad_id", "date"])["inline_link_clicks"].reindex(sessions.index)
    assert (sessions <= link_clicks).all()


@pytest.mark.parametrize("table", SF_OBJECTS)
def test_salesforce_ids_have_the_right_shape(tiny_world: World, table: str) -> None:
    ids = tiny_world.tables[table]["Id"].to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 18 and i.startswith(SF_PREFIX[SF_OBJECTS[table]]) for i in ids)
    for record_id in ids[:50]:
        assert record_id[15:] == _checksum(record_id[:15])


def _checksum(id15: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    chunks = [id15[i : i + 5] for i in range(0, 15, 5)]
    return "".join(alphabet[sum(1 << k for k, c in enumerate(ch) if c.isupper())] for ch in chunks)


@pytest.mark.parametrize("table", [t for t in SF_OBJECTS if t != "sf_user"])
def test_modstamps_follow_creation_and_stay_in_the_world(tiny_world: World, table: str) -> None:
    frame = tiny_world.tables[table].to_pandas()
    assert (frame["SystemModstamp"] >= frame["CreatedDate"]).all()
    end = pd.Timestamp(tiny_world.config.end, tz="UTC") + pd.Timedelta(days=1)
    assert (frame["SystemModstamp"] < end).all()


def test_crm_has_deletions_updates_and_shared_modstamp_seconds(small_world: World) -> None:
    leads = small_world.tables["sf_lead"].to_pandas()
    accounts = small_world.tables["sf_account"].to_pandas()
    assert leads["IsDeleted"].any()
    assert (leads["SystemModstamp"] > leads["CreatedDate"]).mean() > 0.3
    # Bulk jobs stamp many records with one second: cursors must use >= and tie-break on Id.
    assert leads["SystemModstamp"].value_counts().iloc[0] >= 5
    assert accounts["SystemModstamp"].value_counts().iloc[0] >= 5
    assert not leads.loc[~leads["IsDeleted"], "GA_Client_ID__c"].duplicated().any()


def test_ga4_events_stay_in_the_world_and_in_order(tiny_world: World) -> None:
    events = tiny_world.tables["ga4_events"]
    day = events["event_date"].to_numpy().astype("datetime64[D]")
    assert day.min() >= np.datetime64(tiny_world.config.start)
    assert day.max() <= np.datetime64(tiny_world.config.end)
    timestamp = events["event_timestamp"].to_numpy()
    assert (np.diff(timestamp) >= 0).all()
    assert (timestamp // 86_400_000_000 == day.astype(np.int64)).all()


def test_user_id_appears_only_after_a_lead_or_sign_up(tiny_world: World) -> None:
    events = tiny_world.tables["ga4_events"].to_pandas()
    identified = events.loc[events["event_name"].isin(["generate_lead", "sign_up"])]
    first = identified.groupby("user_pseudo_id", observed=True)["event_timestamp"].min()
    since = events["user_pseudo_id"].map(first).astype("float64")
    expected = events["event_timestamp"] >= since.fillna(np.inf)
    assert (events["user_id"].notna() == expected).all()
