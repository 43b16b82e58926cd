"""Contract tests: Slack incoming-webhook requests (plain `requests`) against the webhook sink."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.webhook import WebhookEmulator

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*dbt build failed*"}}]


def _start(faults: FaultConfig, home: Path) -> Iterator[tuple[WebhookEmulator, EmulatorInfo]]:
    emulator = WebhookEmulator(channels=("alerts", "ml"))
    info = emulator.start(None, faults, home)
    try:
        yield emulator, info
    finally:
        emulator.stop()


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[WebhookEmulator, EmulatorInfo]]:
    yield from _start(FaultConfig(), tmp_path)


def _webhook_url(connection: dict[str, Any]) -> str:
    """The URL Airflow's SlackWebhookHook builds from a slackwebhook connection whose host
    carries a scheme: host + "/" + password (the webhook token)."""
    return connection["host"].rstrip("/") + "/" + connection["password"].lstrip("/")


def _messages(info: EmulatorInfo, channel: str | None = None) -> list[dict[str, Any]]:
    params = {"channel": channel} if channel else None
    return requests.get(info.endpoints["received messages"], params=params, timeout=5).json()


def test_connections_follow_the_slackwebhook_shape(sink) -> None:
    _, info = sink
    alerts = info.connections["mdp_slack_alerts"]
    assert alerts["conn_type"] == "slackwebhook"
    assert alerts["password"] == "alerts"
    assert _webhook_url(alerts) == info.endpoints["slack webhooks"] + "/alerts"


def test_posted_messages_are_stored_per_channel_and_on_disk(sink, tmp_path: Path) -> None:
    _, info = sink
    alerts = _webhook_url(info.connections["mdp_slack_alerts"])
    ml = _webhook_url(info.connections["mdp_slack_ml"])
    first = requests.post(alerts, json={"text": "dbt build failed", "blocks": BLOCKS}, timeout=5)
    assert (first.status_code, first.text) == (200, "ok")
    requests.post(ml, json={"text": "churn model promoted"}, timeout=5).raise_for_status()
    form = requests.post(alerts, data={"payload": json.dumps({"text": "via form"})}, timeout=5)
    assert form.text == "ok"

    stored = _messages(info, "alerts")
    assert [m["text"] for m in stored] == ["dbt build failed", "via form"]
    assert stored[0]["payload"] == {"text": "dbt build failed", "blocks": BLOCKS}
    assert [m["channel"] for m in _messages(info)] == ["alerts", "ml", "alerts"]
    on_disk = (tmp_path / "webhook" / "messages.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in on_disk] == _messages(info)


@pytest.mark.parametrize(
    ("path", "body", "status", "answer"),
    [
        ("alerts", b"{not json", 400, "invalid_payload"),
        ("alerts", b'{"icon_emoji": ":fire:"}', 400, "no_text"),
        ("general", b'{"text": "hi"}', 404, "no_service"),
    ],
)
def test_bad_requests_get_slacks_answers(sink, path, body, status, answer) -> None:
    _, info = sink
    url = info.endpoints["slack webhooks"] + "/" + path
    response = requests.post(
        url, data=body, headers={"Content-Type": "application/json"}, timeout=5
    )
    assert (response.status_code, response.text) == (status, answer)
    assert _messages(info) == []


def _faulted(kind: str, home: Path) -> Iterator[tuple[WebhookEmulator, EmulatorInfo]]:
    return _start(FaultConfig(rate=1.0, kinds=(kind,), slow_seconds=0.5), home)


def test_rate_limit_is_429_rate_limited_with_retry_after(tmp_path: Path) -> None:
    for _, info in _faulted("rate_limit", tmp_path):
        response = requests.post(
            _webhook_url(info.connections["mdp_slack_alerts"]), json={"text": "x"}, timeout=5
        )
        assert (response.status_code, response.text) == (429, "rate_limited")
        assert response.headers["Retry-After"] == "1"
        assert _messages(info) == []


def test_server_errors_alternate_500_and_503(tmp_path: Path) -> None:
    for _, info in _faulted("server_error", tmp_path):
        url = _webhook_url(info.connections["mdp_slack_alerts"])
        answers = [requests.post(url, json={"text": "x"}, timeout=5) for _ in range(2)]
        assert [(r.status_code, r.text) for r in answers] == [
            (500, "rollup_error"),
            (503, "service_unavailable"),
        ]


def test_a_revoked_webhook_is_403_invalid_token(tmp_path: Path) -> None:
    for _, info in _faulted("expired_token", tmp_path):
        url = _webhook_url(info.connections["mdp_slack_alerts"])
        response = requests.post(url, json={"text": "x"}, timeout=5)
        assert (response.status_code, response.text) == (403, "invalid_token")


def test_a_slow_answer_times_out(tmp_path: Path) -> None:
    for _, info in _faulted("timeout", tmp_path):
        url = _webhook_url(info.connections["mdp_slack_alerts"])
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(url, json={"text": "x"}, timeout=0.2)
