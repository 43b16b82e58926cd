"""The weekly report: every section present or explained, self-contained, PDF, and Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pytest
from matplotlib import image

SECTIONS = (
    "changes",
    "spend",
    "attribution",
    "funnel",
    "mrr",
    "forecast",
    "at_risk",
    "hot_leads",
    "experiments",
    "alerts",
)

#: Score and alert rows shaped as ml/*/score.py and the alerts table write them.
SCORES_SQL = """
create schema if not exists scores;
create table scores.churn_scores as
select *, cast(round(probability * 100) as bigint) as risk_score from (
    select account_id, 3 as horizon_months,
           (row_number() over (order by account_id)) / (count(*) over () + 1.0) as probability,
           'High' as risk_level, '▲ Used 20% of seats last month' as reason_1,
           date '2025-12-01' as feature_snapshot_date
    from marts.dim_customers
);
create table scores.lead_scores as
select *, cast(round(probability * 100) as bigint) as score from (
    select lead_id,
           (row_number() over (order by lead_id)) / (count(*) over () + 1.0) as probability,
           'Cold' as tier, '▲ Viewed the pricing page in 3 visits' as reason_1,
           date '2025-12-31' as feature_snapshot_date
    from marts.fct_leads
);
update scores.lead_scores set tier = 'Hot' where probability > 0.6;
create table scores.forecasts as
select 'leads|weekly|(all)' as series_key, 'leads' as metric, 'weekly' as frequency,
       '(all)' as channel,
       cast(date '2026-01-05' + to_days(cast(7 * k as integer)) as date) as date,
       10.0 + k as yhat, 8.0 + k as yhat_lower_80, 12.0 + k as yhat_upper_80,
       6.0 + k as yhat_lower_95, 14.0 + k as yhat_upper_95, 'ets' as model,
       date '2025-12-31' as as_of, date '2025-12-31' as feature_snapshot_date
from range(8) as r(k);
create schema if not exists activation;
create table activation.alerts as
select severity, platform, 'campaign' as entity_type, entity_name, 'x' as entity_id,
       metric, expected, actual, suggested_action, status,
       cast(first_seen as date) as first_seen, cast(last_seen as date) as last_seen,
       cast(resolved_on as date) as resolved_on
from (values
    ('medium', 'ga4', 'Search | Brand', 'cpl', '20.0', '35.5', 'Check the bids on Search | Brand',
     'open', '2025-12-20', '2025-12-31', null),
    ('high', 'ga4', 'Awareness', 'spend', '100.0', '400.0', 'Pause the Awareness campaign',
     'open', '2025-12-23', '2025-12-31', null),
    ('low', 'ga4', 'Newsletter', 'leads', '5.0', '4.0', 'closed-alert-action', 'resolved',
     '2025-12-01', '2025-12-10', '2025-12-11')
) as t(severity, platform, entity_name, metric, expected, actual, suggested_action, status,
       first_seen, last_seen, resolved_on);
"""


def sections_in(html: str) -> dict[str, str]:
    """Each section's HTML, by its key."""
    parts = re.split(r'<section id="([a-z_]+)"', html)[1:]
    return dict(zip(parts[::2], parts[1::2], strict=True))


def assert_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "url(http" not in html and "<script" not in html and "<link" not in html


def test_report_explains_every_missing_table(warehouse_settings: Any) -> None:
    from activation.report import build_report

    built = build_report(warehouse_settings, date(2025, 12, 24))
    html = built.html.read_text()
    assert built.week_start == date(2025, 12, 22)
    assert built.html.parent == warehouse_settings.home / "reports"
    found = sections_in(html)
    assert tuple(found) == SECTIONS
    assert "<svg" in found["spend"] and "<svg" in found["funnel"] and "<svg" in found["mrr"]
    for key, table in (
        ("forecast", "scores.forecasts"),
        ("at_risk", "scores.churn_scores"),
        ("hot_leads", "scores.lead_scores"),
        ("experiments", "activation.experiment_results"),
    ):
        assert f"{table} not found yet" in found[key], key
    assert "no alerts table yet" in found["alerts"]
    assert_self_contained(html)
    assert built.pdf.read_bytes()[:5] == b"%PDF-"
    assert built.pdf.stat().st_size > 20_000  # the charts are in it


def test_report_renders_every_section_and_chromium_shows_it(warehouse_settings: Any) -> None:
    from activation.experiments import run
    from activation.report import build_report

    con = duckdb.connect(str(warehouse_settings.duckdb_file))
    con.execute(SCORES_SQL)
    top_lead = con.execute(
        "select lead_id from scores.lead_scores order by probability desc limit 1"
    ).fetchone()[0]
    hot = con.execute("select count(*) from scores.lead_scores where tier = 'Hot'").fetchone()[0]
    riskiest = con.execute(
        "select coalesce(account_name, s.account_id) from scores.churn_scores as s join"
        " marts.dim_customers using (account_id) order by probability desc limit 1"
    ).fetchone()[0]
    con.close()
    run(warehouse_settings)
    built = build_report(warehouse_settings, pdf=False)  # the PDF is checked above
    html = built.html.read_text()
    found = sections_in(html)
    assert all('class="missing"' not in part for part in found.values()), html
    for key in ("spend", "attribution", "funnel", "mrr", "forecast", "at_risk", "experiments"):
        assert "<svg" in found[key], key
    assert top_lead in found["hot_leads"] and f"Hot {hot:,}" in found["hot_leads"]
    assert found["at_risk"].index(riskiest) < found["at_risk"].index("<table")  # chart label
    alerts = found["alerts"]
    assert alerts.index("Pause the Awareness") < alerts.index("Check the bids")  # critical first
    assert "closed-alert-action" not in alerts
    assert_self_contained(html)

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed: `make chromium` installs Debian's package")
    shot = built.html.with_suffix(".png")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={shot}",
            "--window-size=1280,4000",
            built.html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pixels = image.imread(shot)
    assert pixels.shape[:2] == (4000, 1280)
    grey = pixels[..., :3].mean(axis=2)
    assert grey.std() > 0.05  # a blank page is one flat colour
    assert np.mean(grey < 0.9) > 0.05  # and much of it is drawn on
