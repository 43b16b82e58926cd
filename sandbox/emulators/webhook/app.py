"""Slack incoming-webhook behaviour: `POST /hooks/<channel>` answers `ok` or Slack's error codes."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from sandbox.emulators.faults import EXPIRED_TOKEN, RATE_LIMIT, SERVER_ERROR, FaultInjector
from sandbox.emulators.http import App, Request, Response
from sandbox.emulators.webhook.messages import MessageLog

HOOKS_PREFIX = "/hooks/"
MESSAGES_PATH = "/_sandbox/messages"
#: Seconds Slack asks a rate-limited sender to wait (kept short so retries stay fast).
RETRY_AFTER_SECONDS = 1


def _slack(status: int, body: str, **headers: str) -> Response:
    """Slack answers webhooks with a bare word in a text/html body."""
    return Response(status, body, headers=headers or None, content_type="text/html")


class WebhookApp(App):
    """Accepts messages for the configured channels (any channel when none are configured)."""

    def __init__(self, log: MessageLog, faults: FaultInjector, channels: frozenset[str]) -> None:
        self.log = log
        self.faults = faults
        self.channels = channels

    def handle(self, request: Request) -> Response:
        if request.method == "GET" and request.path == MESSAGES_PATH:
            return Response(200, self.log.list(request.param("channel")))
        if request.method != "POST" or not request.path.startswith(HOOKS_PREFIX):
            return _slack(404, "no_service")
        channel = request.path.removeprefix(HOOKS_PREFIX)
        if self.channels and channel not in self.channels:
            return _slack(404, "no_service")
        failure = self._fault()
        return failure if failure is not None else self._post(channel, request)

    def _fault(self) -> Response | None:
        kind = self.faults.next_fault()
        if kind == RATE_LIMIT:
            return _slack(429, "rate_limited", **{"Retry-After": str(RETRY_AFTER_SECONDS)})
        if kind == SERVER_ERROR:
            # Alternate Slack's two server-side answers: 500 rollup_error, 503 service_unavailable.
            odd = self.faults.injected[SERVER_ERROR] % 2
            return _slack(500, "rollup_error") if odd else _slack(503, "service_unavailable")
        if kind == EXPIRED_TOKEN:
            return _slack(403, "invalid_token")
        if kind is not None:
            time.sleep(self.faults.config.slow_seconds)
        return None

    def _post(self, channel: str, request: Request) -> Response:
        payload = _payload(request)
        if payload is None:
            return _slack(400, "invalid_payload")
        if not any(payload.get(key) for key in ("text", "blocks", "attachments")):
            return _slack(400, "no_text")
        self.log.append(channel, payload)
        return _slack(200, "ok")


def _payload(request: Request) -> dict[str, Any] | None:
    """The JSON message, sent as a JSON body or as the `payload` form field (both are allowed)."""
    raw = request.body.decode("utf-8", errors="replace")
    if "application/x-www-form-urlencoded" in request.headers.get("Content-Type", ""):
        raw = (parse_qs(raw).get("payload") or [""])[0]
    try:
        payload = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None
