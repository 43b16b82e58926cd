"""Credits per conversion from a small hand-made marts warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mdp.warehouse.duckdb import DuckDBWarehouse
from ml.attribution import features, score

ROOT = Path(__file__).resolve().parents[3]
MARTS = """
create schema marts;
create table marts.fct_conversion_paths as select * from (values
  ('t1', 'c1', 'lead', date '2025-03-10', 1, 2, 's1', 'Paid Search', 'google', 'cpc', 'x', 0.0),
  ('t2', 'c1', 'lead', date '2025-03-10', 2, 2, 's2', 'Email', 'mail', 'email', 'y', 0.0),
  ('t3', 'c2', 'lead', date '2025-03-12', 1, 1, 's3', 'Direct', '(direct)', '(none)', 'z', 0.0),
  ('t4', 'c3', 'won_deal', date '2025-05-01', 1, 2, 's1', 'Paid Search', 'google', 'cpc', 'x',
   1000.0),
  ('t5', 'c3', 'won_deal', date '2025-05-01', 2, 2, 's2', 'Email', 'mail', 'email', 'y', 1000.0),
  ('t6', 'c4', 'purchase', date '2025-06-01', 1, 1, null, 'Unattributed', null, null, null, 50.0)
) as t(touchpoint_key, conversion_id, conversion_type, conversion_date, touchpoint_number,
       touch_count, session_key, channel, source, medium, campaign, revenue);
create table marts.fct_sessions as select * from (values
  ('u1', timestamptz '2025-03-01 10:00:00+00', 's1', 'Paid Search'),
  ('u1', timestamptz '2025-03-10 10:00:00+00', 's2', 'Email'),
  ('u2', timestamptz '2025-03-12 10:00:00+00', 's3', 'Direct'),
  ('u3', timestamptz '2024-06-01 10:00:00+00', 's4', 'Email'),
  ('u3', timestamptz '2025-03-01 10:00:00+00', 's5', 'Paid Search'),
  ('u3', timestamptz '2025-03-05 10:00:00+00', 's6', 'Direct'),
  ('u4', timestamptz '2025-04-01 10:00:00+00', 's7', 'Email')
) as t(user_pseudo_id, started_at, session_key, default_channel_group);
create table marts.dim_identities as select * from (values ('u1', 'L1'), ('u2', 'L2'))
  as t(user_pseudo_id, lead_id);
create table marts.fct_conversions as select * from (values
  ('lead', 'L1', null, timestamptz '2025-03-10 10:00:00+00'),
  ('lead', 'L2', null, timestamptz '2025-03-12 10:00:00+00'),
  ('won_deal', 'L1', null, timestamptz '2025-03-10 10:00:00+00'),
  ('purchase', null, 'u9', timestamptz '2025-06-01 10:00:00+00')
) as t(conversion_type, lead_id, user_pseudo_id, anchor_at);
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> DuckDBWarehouse:
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    wh.con.execute(MARTS)
    return wh


def test_null_paths_per_conversion_type(warehouse: DuckDBWarehouse) -> None:
    nulls = features.non_converting_paths(warehouse, lookback_days=90)
    got = {(r.conversion_type, r.path): r.nulls for r in nulls.itertuples()}
    # u3's Email session is 9 months before its last one; u2 is a lead that did not win
    assert got == {
        ("lead", "Paid Search > Direct"): 1,
        ("lead", "Email"): 1,
        ("won_deal", "Direct"): 1,
        ("won_deal", "Paid Search > Direct"): 1,
        ("won_deal", "Email"): 1,
        ("purchase", "Paid Search > Email"): 1,
        ("purchase", "Direct"): 1,
        ("purchase", "Paid Search > Direct"): 1,
        ("purchase", "Email"): 1,
    }


def test_credits_have_the_mart_shape_and_sum_to_one(warehouse: DuckDBWarehouse) -> None:
    table = score.attribution_credits(warehouse).to_pandas()
    spec = yaml.safe_load(
        (ROOT / "dbt_project/models/marts/attribution/fct_attribution_credits.yml").read_text()
    )
    assert list(table.columns) == [c["name"] for c in spec["models"][0]["columns"]]
    assert table["attribution_credit_key"].is_unique
    sums = table.groupby(["attribution_model", "conversion_id"])["credit"].sum()
    assert len(sums) == 2 * 4
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-12)
    revenue = table.groupby(["attribution_model", "conversion_id"])["attributed_revenue"].sum()
    assert revenue[("markov", "c3")] == pytest.approx(1000.0)
    unattributed = table.loc[table["channel"] == "Unattributed", "credit"]
    assert (unattributed == 1.0).all()


def test_markov_splits_a_conversion_by_removal_effect(warehouse: DuckDBWarehouse) -> None:
    points, journey_paths = features.journeys(warehouse)
    effects = score.fit_by_type(journey_paths)["lead"].removal_effects
    credits = score.credits_frame(points, score.fit_by_type(journey_paths))
    c1 = credits.loc[(credits["conversion_id"] == "c1")].set_index(["attribution_model", "channel"])
    share = effects["Paid Search"] / (effects["Paid Search"] + effects["Email"])
    assert c1.loc[("markov", "Paid Search"), "credit"] == pytest.approx(share, abs=1e-12)
    assert c1.loc[("shapley", "Paid Search"), "credit"] == pytest.approx(0.5, abs=1e-12)
