"""Deduplication: one episode per condition while it holds, closed when it clears, new if back."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from activation.alerts import run_alerts
from activation.alerts.model import Alert
from activation.alerts.notify import AlertDeliveryError
from mdp.warehouse import get_warehouse
from tests.activation.alerts.conftest import received

ROAS = Alert(
    "low_roas", "high", "google_ads", "campaign", "42", "Brand", "ROAS", ">= 2", "1.1", "Cut"
)
CTR = Alert(
    "low_ctr", "medium", "facebook_ads", "ad_group", "7", "Set", "CTR", ">= 1%", "0.4%", "Fix"
)


def _days(*alerts_per_day: list[Alert]) -> Any:
    """evaluate() stand-in: the given alerts on consecutive days."""
    by_day = {date(2025, 6, 1 + i): alerts for i, alerts in enumerate(alerts_per_day)}
    return lambda warehouse, settings, day: by_day[day]


def test_open_hold_resolve_and_reopen(
    settings: Any, sink: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "activation.alerts.run.evaluate", _days([ROAS], [ROAS, CTR], [CTR], [ROAS, CTR])
    )
    runs = [run_alerts(settings, date(2025, 6, d)) for d in (1, 2, 3, 4)]
    assert [(r.opened, r.held, r.resolved, r.notified) for r in runs] == [
        (1, 0, 0, 1),
        (1, 1, 0, 1),
        (0, 1, 1, 0),
        (1, 1, 0, 1),  # ROAS came back: a new episode, sent again
    ]
    # one digest per run with something new, holding only what is new
    headers = [m["payload"]["blocks"][0]["text"]["text"] for m in received(sink)]
    assert headers == [
        "1 new alert on 2025-06-01: 1 high",
        "1 new alert on 2025-06-02: 1 medium",
        "1 new alert on 2025-06-04: 1 high",
    ]
    with get_warehouse(settings) as warehouse:
        rows = warehouse.query(
            "select condition_key, status, first_seen, last_seen, resolved_on "
            "from activation.alerts order by first_seen, condition_key"
        ).to_pylist()
    assert [
        (r["condition_key"], r["status"], r["first_seen"].day, r["last_seen"].day) for r in rows
    ] == [
        (ROAS.condition_key, "resolved", 1, 2),
        (CTR.condition_key, "open", 2, 4),
        (ROAS.condition_key, "open", 4, 4),
    ]
    assert rows[0]["resolved_on"] == date(2025, 6, 3)


def test_a_failed_delivery_is_retried_next_run_and_the_token_is_not_leaked(
    settings: Any, sink: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("activation.alerts.run.evaluate", _days([ROAS], [ROAS]))
    # a revoked webhook: the sink answers 404 for an unknown token (channel)
    monkeypatch.setenv(
        "AIRFLOW_CONN_MDP_SLACK_ALERTS",
        f'{{"conn_type": "slackwebhook", "host": "{sink.endpoints["slack webhooks"]}", '
        '"password": "T000SECRET/B000/XXXXTOKEN"}',
    )
    with pytest.raises(AlertDeliveryError) as failed:
        run_alerts(settings, date(2025, 6, 1))
    assert "XXXXTOKEN" not in str(failed.value) and "XXXXTOKEN" not in caplog.text
    assert received(sink) == []
    monkeypatch.setenv(
        "AIRFLOW_CONN_MDP_SLACK_ALERTS",
        f'{{"conn_type": "slackwebhook", "host": "{sink.endpoints["slack webhooks"]}", '
        '"password": "alerts"}',
    )
    retried = run_alerts(settings, date(2025, 6, 2))
    assert (retried.opened, retried.held, retried.notified) == (0, 1, 1)
    assert len(received(sink)) == 1


def test_email_is_skipped_without_an_smtp_connection(
    settings: Any, sink: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("activation.alerts.run.evaluate", _days([ROAS]))
    monkeypatch.setattr(settings.alerts, "email_to", ["marketing@example.com"])
    with caplog.at_level("INFO"):
        run = run_alerts(settings, date(2025, 6, 1))
    assert run.notified == 1 and not run.emailed
    assert "no SMTP connection 'mdp_smtp'" in caplog.text
