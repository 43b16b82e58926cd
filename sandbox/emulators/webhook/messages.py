"""Every message the webhook sink accepted, in memory and appended to a JSONL file."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any


class MessageLog:
    """Thread-safe record of received messages; the file survives the process for the demo."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, channel: str, payload: dict[str, Any]) -> dict[str, Any]:
        message = {
            "channel": channel,
            "received_at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "text": payload.get("text"),
            "payload": payload,
        }
        with self._lock:
            self._messages.append(message)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(message) + "\n")
        return message

    def list(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self._messages if channel is None or m["channel"] == channel]
