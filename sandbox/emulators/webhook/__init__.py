"""A Slack incoming-webhook sink that records alert notifications for tests and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig, FaultInjector
from sandbox.emulators.http import RunningServer, serve
from sandbox.emulators.webhook.app import HOOKS_PREFIX, MESSAGES_PATH, WebhookApp
from sandbox.emulators.webhook.messages import MessageLog

__all__ = ["DEFAULT_CHANNELS", "WebhookEmulator"]

DEFAULT_CHANNELS = ("alerts",)


class WebhookEmulator:
    """Serves `POST /hooks/<channel>` and `GET /_sandbox/messages`; messages go to
    `home/webhook/messages.jsonl` too. The world is not used."""

    name = "webhook"

    def __init__(self, channels: tuple[str, ...] = DEFAULT_CHANNELS, port: int = 0) -> None:
        self.channels = channels
        self.port = port
        self.log: MessageLog | None = None
        self._server: RunningServer | None = None

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo:
        self.log = MessageLog(home / "webhook" / "messages.jsonl")
        app = WebhookApp(self.log, FaultInjector(faults, self.name), frozenset(self.channels))
        self._server = serve(app, port=self.port)
        base = self._server.url + HOOKS_PREFIX.rstrip("/")
        connections = {
            f"mdp_slack_{channel}": {"conn_type": "slackwebhook", "host": base, "password": channel}
            for channel in self.channels
        }
        return EmulatorInfo(
            name=self.name,
            endpoints={
                "slack webhooks": base,
                "received messages": self._server.url + MESSAGES_PATH,
            },
            connections=connections,
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
