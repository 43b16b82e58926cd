"""The weekly report's figures, checked against the marts: paid vs blended ROAS, unattributed
revenue, currency and whole counts, definitions and the partial last week."""

from __future__ import annotations

import html as html_lib
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.activation.report.test_report import sections_in


def kpis(section: str) -> dict[str, str]:
    """The section's KPI tiles: label -> value, as the reader sees them."""
    found = re.findall(r'<div class="label">(.*?)</div><div class="value">(.*?)</div>', section)
    return {html_lib.unescape(k): html_lib.unescape(v) for k, v in found}


def week_sums(settings: Any, monday: str, model: str = "linear") -> dict[str, float]:
    """The mart's own sums for the week: paid = the ad platforms' channels."""
    con = duckdb.connect(str(settings.duckdb_file), read_only=True)
    row = con.execute(
        """
        with paid as (select distinct channel from marts.dim_ad_campaigns)
        select
            sum(case when channel in (select channel from paid) then spend end),
            sum(case when channel in (select channel from paid) then attributed_revenue end),
            sum(attributed_revenue),
            sum(case when channel = 'Unattributed' then attributed_revenue else 0 end)
        from marts.fct_channel_roi_daily
        where attribution_model = ? and date_day between cast(? as date)
            and cast(? as date) + interval 6 day
        """,
        [model, monday, monday],
    ).fetchone()
    con.close()
    spend, paid_revenue, revenue, unattributed = (float(v or 0) for v in row)
    return {
        "spend": spend,
        "paid_revenue": paid_revenue,
        "revenue": revenue,
        "unattributed": unattributed,
    }


def test_paid_roas_is_paid_revenue_over_paid_spend_and_blended_is_labelled(
    warehouse_settings: Any,
) -> None:
    from activation.report import build_report

    built = build_report(warehouse_settings, date(2025, 11, 26), pdf=False)
    spend = sections_in(built.html.read_text())["spend"]
    tiles = kpis(spend)
    mart = week_sums(warehouse_settings, "2025-11-24")
    assert mart["paid_revenue"] > 0 and mart["revenue"] > mart["paid_revenue"]  # a real test
    assert tiles["Paid ROAS"] == f"{mart['paid_revenue'] / mart['spend']:.2f}"
    assert tiles["Blended (all revenue / paid spend)"] == f"{mart['revenue'] / mart['spend']:.2f}"
    assert not any(label.startswith("Blended ROAS") for label in tiles)
    assert tiles["Paid spend"] == f"${mart['spend']:,.0f}"  # USD by default
    assert re.fullmatch(r"\d[\d,]*", tiles["Leads"])  # a whole number
    # every leads cell is a whole number, every money cell carries its currency
    rows = re.findall(r"<tr>(.*?)</tr>", spend, flags=re.DOTALL)[1:]
    for row in rows:
        cells = [html_lib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        assert re.fullmatch(r"\d[\d,]*", cells[-1]), cells
        assert all(c.startswith("$") for c in (cells[2], cells[3], cells[5])), cells
    assert 'class="definitions"' in spend
    for figure in ("Paid ROAS", "Blended (all revenue / paid spend)", "Unattributed revenue"):
        assert f"<dt>{html_lib.escape(figure)}</dt>" in spend, figure


def test_unattributed_revenue_is_its_own_line(warehouse_settings: Any) -> None:
    from activation.report import build_report

    built = build_report(warehouse_settings, date(2024, 11, 20), pdf=False)
    spend = sections_in(built.html.read_text())["spend"]
    mart = week_sums(warehouse_settings, "2024-11-18")
    assert mart["unattributed"] > 0
    assert kpis(spend)["Unattributed revenue"] == f"${mart['unattributed']:,.0f}"
    row = re.search(r"<tr><td>Unattributed</td>(.*?)</tr>", spend, flags=re.DOTALL)
    assert row is not None and f"${mart['unattributed']:,.0f}" in row.group(1)


@pytest.mark.parametrize("currency, shown", [("EUR", "€"), ("CHF", "CHF ")])
def test_money_carries_the_configured_currency(currency: str, shown: str) -> None:
    from activation.report.sections import money

    assert money(1234.4, currency) == f"{shown}1,234"
    assert money(-5, currency) == f"-{shown}5"


def test_the_partial_last_week_is_marked_not_compared(warehouse_settings: Any) -> None:
    from activation.report import build_report

    # the tiny world's data ends on Wednesday 31 Dec 2025: 3 days of that week
    built = build_report(warehouse_settings, date(2025, 12, 31), pdf=False)
    spend = sections_in(built.html.read_text())["spend"]
    assert "Partial week: the data ends 2025-12-31, 3 of its 7 days." in spend
    assert "29 Dec (partial)" in spend  # the chart's label
    assert "vs previous week" not in spend


def test_a_week_without_data_exits_2_with_one_line(warehouse_settings: Any) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
        "MDP_HOME": str(warehouse_settings.home),
        "MDP_DUCKDB_PATH": str(warehouse_settings.duckdb_file),
        "COLUMNS": "300",
    }
    result = subprocess.run(
        [sys.executable, "-m", "mdp.cli", "report", "--week", "2031-01-05"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stdout + result.stderr, result.stderr
    assert lines[0].startswith("error: no data for the week of 2030-12-30"), lines
    assert "2025-12-31" in lines[0]  # where the data ends
    assert not (warehouse_settings.home / "reports").exists()  # no empty report written


ALERTS_SQL = """
create schema if not exists activation;
create table activation.alerts as
select severity, platform, 'campaign' as entity_type, entity_id, entity_name, metric, expected,
       actual, suggested_action, status, cast(first_seen as date) as first_seen,
       cast(last_seen as date) as last_seen, cast(resolved_on as date) as resolved_on
from (values
    ('high', 'google_ads', '11', 'Search | Brand', 'ROAS over 7 days', '>= 2.00', '0.00',
     'Cut the budget or pause the campaign; review targeting and bids.', 'open',
     '2025-12-22', '2025-12-28', null),
    ('high', 'facebook_ads', '12', 'Old Prospecting', 'ROAS over 7 days', '>= 2.00', '0.40',
     'outside-week-action', 'resolved', '2025-10-01', '2025-10-09', '2025-10-10'),
    ('medium', 'facebook_ads', '13', 'Later Retargeting', 'CTR', '>= 1%', '0.5%',
     'after-week-action', 'open', '2025-12-30', '2025-12-31', null)
) as t(severity, platform, entity_id, entity_name, metric, expected, actual, suggested_action,
       status, first_seen, last_seen, resolved_on);
"""


def test_alerts_of_the_week_only_and_no_budget_cut_on_provisional_data(
    warehouse_settings: Any,
) -> None:
    from activation.report import build_report

    con = duckdb.connect(str(warehouse_settings.duckdb_file))
    con.execute(ALERTS_SQL)
    # the week of 22 Dec is inside Google Ads' restatement window in the tiny world
    provisional = con.execute(
        "select bool_and(is_provisional) from marts.fct_ad_performance_daily"
        " where platform = 'google_ads' and date between '2025-12-22' and '2025-12-28'"
    ).fetchone()[0]
    con.close()
    assert provisional
    built = build_report(warehouse_settings, date(2025, 12, 24), pdf=False)
    alerts = sections_in(built.html.read_text())["alerts"]
    assert "Search | Brand" in alerts  # the campaign's name
    assert "outside-week-action" not in alerts and "Old Prospecting" not in alerts
    assert "after-week-action" not in alerts and "Later Retargeting" not in alerts
    assert "cut the budget" not in alerts.lower()
    row = re.search(r"<tr><td>high</td><td>Search \\| Brand</td>(.*?)</tr>", alerts, re.DOTALL)
    assert row is not None and "<td>provisional</td>" in row.group(1)


def test_what_changed_opens_the_report_with_the_marts_movements(warehouse_settings: Any) -> None:
    from activation.report import build_report

    built = build_report(warehouse_settings, date(2025, 11, 26), pdf=False)
    parts = sections_in(built.html.read_text())
    assert next(iter(parts)) == "changes"  # the first thing a reader sees
    tiles = kpis(parts["changes"])
    now = week_sums(warehouse_settings, "2025-11-24")
    before = week_sums(warehouse_settings, "2025-11-17")
    assert now["spend"] and before["spend"]  # a real comparison
    assert tiles["Paid spend"] == f"${now['spend']:,.0f}"
    assert tiles["Attributed revenue"] == f"${now['revenue']:,.0f}"
    changes = re.findall(r'<div class="change">(.*?)</div>', parts["changes"])
    assert f"{now['spend'] / before['spend'] - 1:+.0%} vs previous week" in changes
    assert f"was {before['paid_revenue'] / before['spend']:.2f}" in changes
    rows = re.findall(r"<tr>(.*?)</tr>", parts["changes"], flags=re.DOTALL)[1:]
    assert rows  # the channels that moved most, with their change
    for row in rows:
        cells = [html_lib.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
        assert re.fullmatch(r"[+-][\d,]+ \(([+-]\d+%|\d+x|new)\)", cells[-1]), cells
    figures = re.findall(r"<td>(attributed revenue|spend|leads)</td>", parts["changes"])
    # the two largest movers of each figure, so spend or lead swings are not buried under
    # revenue swings in the thousands
    assert "spend" in figures and "attributed revenue" in figures
    assert all(figures.count(f) <= 2 for f in set(figures))
