"""The digest: one Slack message per run, most urgent first, hot leads grouped by owner with a
link to their Salesforce record and a mention of the owner; cut to Slack's limits, never split."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any, ClassVar

import pytest

from activation.alerts import run_alerts
from activation.alerts.digest import build_digest
from activation.alerts.model import Alert
from activation.alerts.notify import AlertDeliveryError
from activation.alerts.record_links import salesforce_instance_url
from activation.alerts.rules import HOT_LEAD_RULE
from activation.alerts.slack_message import MAX_BLOCKS, MAX_HEADER_CHARS, MAX_SECTION_CHARS
from mdp.warehouse import get_warehouse
from tests.activation.alerts.conftest import received

DAY = date(2025, 6, 1)
ORG = "https://acme.my.salesforce.com"
JANE, SAM, LEE = "0055f000000JANEAAA", "0055f000000SAMBQAA", "0055f000000LEECAAA"

ROAS = Alert(
    "low_roas",
    "high",
    "google_ads",
    "campaign",
    "42",
    "Brand Search",
    "ROAS over 7 days",
    ">= 2.00",
    "1.12 on 1,234.00 spend",
    "Cut the budget or pause the campaign.",
)
CTR = Alert(
    "low_ctr",
    "medium",
    "facebook_ads",
    "ad_group",
    "7",
    "Prospecting / Lookalike",
    "CTR over 7 days",
    ">= 1.00%",
    "0.42% on 12,345 impressions",
    "Refresh the creative.",
)
SPEND = Alert(
    "anomaly_spend",
    "medium",
    "all",
    "total",
    "all",
    "all channels",
    "daily spend (currency) on 2025-06-01",
    "100.00 ± 20.00 (same weekday, z +5.0)",
    "180.00",
    "Check what changed on 2025-06-01.",
    day="2025-06-01",
)
CHURN = Alert(
    "churn_risk",
    "high",
    "crm",
    "account",
    "0015f00000GLOBEXAA",
    "Globex & Sons",
    "churn probability (3 months)",
    "<= 70%",
    "86%",
    "Plan a retention call; top driver: support cases.",
    score=86,
)


def _lead(n: int, company: str, owner_id: str, owner: str, score: int) -> Alert:
    return Alert(
        HOT_LEAD_RULE,
        "medium",
        "crm",
        "lead",
        f"00Q5f0000000{n:04d}AA",
        company,
        "days without sales activity",
        "contact within 2 days",
        f"untouched {n + 2} days (since {DAY - timedelta(days=n + 2):%Y-%m-%d})",
        f"Call now: hot lead, score {score}.",
        owner_id=owner_id,
        owner_name=owner,
        score=score,
    )


LEADS = [
    _lead(1, "Initech", JANE, "Jane Roe", 55),
    _lead(2, "Acme GmbH", JANE, "Jane Roe", 71),
    _lead(3, "Umbrella", SAM, "Sam Poe", 90),
    _lead(4, "Hooli", LEE, "Lee Doe", 40),
    _lead(5, "Globex", LEE, "Lee Doe", 60),
]
ALERTS = [CTR, *LEADS, ROAS, SPEND, CHURN]
# Jane by name (any case), Sam by the 15-character form of his user id; Lee is not mapped
SLACK_USERS = {"jane roe": "U0123ABCD", SAM[:15]: "U0456EFGH"}


def _evaluates(alerts: list[Alert]) -> Any:
    """evaluate() stand-in: the same alerts whatever the day."""
    return lambda warehouse, settings, day: alerts


def _sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["payload"]["blocks"] if b["type"] == "section"]


def _record(sobject: str, alert: Alert) -> str:
    return f"<{ORG}/lightning/r/{sobject}/{alert.entity_id}/view|{alert.entity_name}>"


@pytest.fixture
def salesforce(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Salesforce connection whose host has no scheme and no extra `instance_url`."""
    connection = {"conn_type": "generic", "host": "acme.my.salesforce.com"}
    monkeypatch.setenv("AIRFLOW_CONN_MDP_SALESFORCE", json.dumps(connection))


def test_one_message_per_run_most_urgent_first_hot_leads_by_owner(
    settings: Any, sink: Any, salesforce: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("activation.alerts.run.evaluate", _evaluates(ALERTS))
    monkeypatch.setattr(settings.alerts, "slack_users", SLACK_USERS)
    first = run_alerts(settings, DAY)
    assert (first.opened, first.notified) == (9, 9)
    [message] = received(sink)  # exactly one message for nine new alerts

    blocks = message["payload"]["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "9 new alerts on 2025-06-01: 2 high, 7 medium"
    assert message["text"] == (
        "9 new alerts on 2025-06-01: 2 high, 7 medium. Accounts at risk of churn 1; Low ROAS 1; "
        "Anomaly: spend 1; Hot leads not contacted 5 for 3 owners; Low CTR 1"
    )
    sections = _sections(message)
    assert [s.splitlines()[0] for s in sections] == [
        ":red_circle: *Accounts at risk of churn* (1)",
        ":red_circle: *Low ROAS* (1)",
        ":large_orange_circle: *Anomaly: spend* (1)",
        # the most leads first; between two owners with two, the one with the best lead
        ":large_orange_circle: *Hot leads not contacted: Jane Roe* <@U0123ABCD> "
        "(2 leads, contact within 2 days)",
        ":large_orange_circle: *Hot leads not contacted: Lee Doe* (2 leads, contact within 2 days)",
        ":large_orange_circle: *Hot leads not contacted: Sam Poe* <@U0456EFGH> "
        "(1 lead, contact within 2 days)",
        ":large_orange_circle: *Low CTR* (1)",
    ]
    jane, lee, sam = sections[3:6]
    acme, initech = LEADS[1], LEADS[0]
    assert jane.splitlines()[1:] == [
        f"• {_record('Lead', acme)}: untouched 4 days (since 2025-05-28), score 71",
        f"• {_record('Lead', initech)}: untouched 3 days (since 2025-05-29), score 55",
    ]
    globex, hooli, umbrella = LEADS[4], LEADS[3], LEADS[2]
    assert lee.splitlines()[1:] == [
        f"• {_record('Lead', globex)}: untouched 7 days (since 2025-05-25), score 60",
        f"• {_record('Lead', hooli)}: untouched 6 days (since 2025-05-26), score 40",
    ]
    assert sam.splitlines()[1:] == [
        f"• {_record('Lead', umbrella)}: untouched 5 days (since 2025-05-27), score 90"
    ]
    assert sections[0].splitlines()[1] == (
        f"• <{ORG}/lightning/r/Account/{CHURN.entity_id}/view|Globex &amp; Sons>: "
        "churn probability (3 months) *86%*, expected &lt;= 70%. "
        "_Plan a retention call; top driver: support cases._"
    )
    assert sections[1].splitlines()[1] == (
        "• Brand Search (Google Ads): ROAS over 7 days *1.12 on 1,234.00 spend*, "
        "expected &gt;= 2.00. _Cut the budget or pause the campaign._"
    )
    assert "Prospecting / Lookalike (Meta Ads)" in sections[6]  # the campaign stays named

    second = run_alerts(settings, date(2025, 6, 2))
    assert (second.opened, second.held, second.notified) == (0, 9, 0)
    assert len(received(sink)) == 1  # nothing new: nothing posted


def test_a_failing_webhook_leaves_every_alert_queued(
    settings: Any, sink: Any, salesforce: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("activation.alerts.run.evaluate", _evaluates(ALERTS))
    webhook = {"conn_type": "slackwebhook", "host": sink.endpoints["slack webhooks"]}
    monkeypatch.setenv("AIRFLOW_CONN_MDP_SLACK_ALERTS", json.dumps({**webhook, "password": "x"}))
    with pytest.raises(AlertDeliveryError) as failed:
        run_alerts(settings, DAY)
    assert str(failed.value) == (
        "Slack delivery through connection 'mdp_slack_alerts' failed (AirflowException); "
        "check the connection and retry: undelivered alerts stay queued"
    )
    with get_warehouse(settings) as warehouse:
        rows = warehouse.query("select notified_at from activation.alerts").to_pylist()
    assert len(rows) == 9 and all(row["notified_at"] is None for row in rows)
    assert received(sink) == []

    monkeypatch.setenv(
        "AIRFLOW_CONN_MDP_SLACK_ALERTS", json.dumps({**webhook, "password": "alerts"})
    )
    retried = run_alerts(settings, date(2025, 6, 2))
    assert (retried.opened, retried.held, retried.notified) == (0, 9, 9)
    [message] = received(sink)
    assert message["payload"]["blocks"][0]["text"]["text"].startswith("9 new alerts")


def _many(n_leads: int, n_campaigns: int) -> list[Alert]:
    """Hot leads of 60 owners and campaign alerts with very long names."""
    leads = [
        _lead(i, f"Company {i}", f"0055f0000{i % 60:06d}AAA", f"Owner {i % 60}", i % 100)
        for i in range(n_leads)
    ]
    long_name = "Spring sale " + "x" * 400
    campaigns = [
        Alert(
            "low_roas" if i % 2 else "no_conversions",
            "high",
            "google_ads",
            "campaign",
            str(i),
            f"{long_name} {i}",
            "ROAS over 7 days",
            ">= 2.00",
            "0.50 on 9,999.00 spend",
            "Cut the budget or pause the campaign; review targeting and bids.",
        )
        for i in range(n_campaigns)
    ]
    return leads + campaigns


def test_500_alerts_still_one_message_within_slack_limits(
    settings: Any, sink: Any, salesforce: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("activation.alerts.run.evaluate", _evaluates(_many(300, 200)))
    run = run_alerts(settings, DAY)
    assert run.notified == 500
    [message] = received(sink)
    blocks = message["payload"]["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= MAX_HEADER_CHARS
    sections = _sections(message)
    assert len(sections) == len(blocks) - 1
    assert all(len(text) <= MAX_SECTION_CHARS for text in sections)
    # every alert is either listed or counted in an "…and N more" line
    lines = [line for text in sections for line in text.splitlines()]
    listed = sum(line.startswith("• ") for line in lines)
    more = [re.fullmatch(r"…and (\d+) more \(see activation\.alerts\)", line) for line in lines]
    counted = sum(int(m.group(1)) for m in more if m)
    assert listed + counted == 500 and counted > 0
    # most urgent first: the high campaign groups, cut inside their section, then the owners
    assert sections[0].startswith(":red_circle: *Low ROAS* (100)")
    assert sections[0].endswith("(see activation.alerts)")
    assert sections[2].startswith(":large_orange_circle: *Hot leads not contacted: Owner ")
    assert re.fullmatch(r"…and \d+ more \(see activation\.alerts\)", sections[-1])


def test_salesforce_instance_url_from_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_MDP_SALESFORCE", raising=False)
    assert salesforce_instance_url("mdp_salesforce") is None
    monkeypatch.setenv(
        "AIRFLOW_CONN_MDP_SALESFORCE",
        json.dumps(
            {
                "conn_type": "salesforce",
                "host": "login.salesforce.com",
                "extra": {"instance_url": "https://acme.my.salesforce.com/"},
            }
        ),
    )
    assert salesforce_instance_url("mdp_salesforce") == ORG  # the extra wins over the host
    monkeypatch.setenv(
        "AIRFLOW_CONN_MDP_SALESFORCE",
        '{"conn_type": "generic", "host": "https://acme.my.salesforce.com"}',
    )
    assert salesforce_instance_url("mdp_salesforce") == ORG


def test_without_a_salesforce_connection_items_carry_no_link(
    settings: Any, sink: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_MDP_SALESFORCE", raising=False)
    monkeypatch.setattr("activation.alerts.run.evaluate", _evaluates([CHURN, *LEADS]))
    assert run_alerts(settings, DAY).notified == 6
    [message] = received(sink)
    text = "\n".join(_sections(message))
    assert "<http" not in text and "• Acme GmbH: untouched 4 days" in text


class _Smtp:
    """SmtpHook stand-in that keeps what it was asked to send."""

    sent: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, smtp_conn_id: str) -> None:
        self.conn_id = smtp_conn_id

    def __enter__(self) -> _Smtp:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send_email_smtp(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)


def test_the_email_is_the_same_digest_in_html(
    settings: Any, sink: Any, salesforce: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("activation.alerts.run.evaluate", _evaluates(ALERTS))
    monkeypatch.setattr(settings.alerts, "email_to", ["sales@example.com"])
    monkeypatch.setenv("AIRFLOW_CONN_MDP_SMTP", '{"conn_type": "smtp", "host": "localhost"}')
    monkeypatch.setattr("airflow.providers.smtp.hooks.smtp.SmtpHook", _Smtp)
    monkeypatch.setattr(_Smtp, "sent", [])
    assert run_alerts(settings, DAY).emailed
    [mail] = _Smtp.sent
    assert mail["to"] == ["sales@example.com"]
    assert mail["subject"] == "mdp: 9 new alerts on 2025-06-01: 2 high, 7 medium"
    headings = re.findall(r"<h3[^>]*>([^<]*)", mail["html_content"])
    assert headings == [
        "Accounts at risk of churn ",
        "Low ROAS ",
        "Anomaly: spend ",
        "Hot leads not contacted: Jane Roe ",
        "Hot leads not contacted: Lee Doe ",
        "Hot leads not contacted: Sam Poe ",
        "Low CTR ",
    ]
    acme = LEADS[1]
    assert (
        f'<li><a href="{ORG}/lightning/r/Lead/{acme.entity_id}/view">Acme GmbH</a>: '
        "untouched 4 days (since 2025-05-28), score 71</li>"
    ) in mail["html_content"]
    assert ">Globex &amp; Sons</a>" in mail["html_content"]


def test_owners_are_ordered_by_number_of_leads_then_best_score() -> None:
    leads = [
        _lead(1, "A", "005a", "Ann", 95),
        _lead(2, "B", "005b", "Bob", 50),
        _lead(3, "C", "005b", "Bob", 40),
        _lead(4, "D", "005c", "Cy", 60),
        _lead(5, "E", "005c", "Cy", 30),
        _lead(6, "F", "", "", 99),  # an unowned lead is still listed
    ]
    digest = build_digest(leads, DAY)
    assert [(g.owner, [i.alert.entity_name for i in g.items]) for g in digest.groups] == [
        ("Cy", ["D", "E"]),
        ("Bob", ["B", "C"]),
        ("no owner", ["F"]),
        ("Ann", ["A"]),
    ]
    assert all(item.url is None for group in digest.groups for item in group.items)
