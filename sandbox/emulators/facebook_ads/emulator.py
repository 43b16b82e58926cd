"""The Meta Marketing API emulator: start a Graph server on the world, describe its connection."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.facebook_ads.app import Credentials, GraphApp, GraphOptions
from sandbox.emulators.facebook_ads.store import MetaStore
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.http import RunningServer, serve

CONNECTION_ID = "mdp_facebook_ads"


def sandbox_credentials(seed: int) -> Credentials:
    """Stable per-seed credentials (sandbox only; they open nothing but the local emulator)."""
    digest = hashlib.sha256(f"mdp-sandbox-meta-{seed}".encode()).hexdigest()
    return Credentials(
        app_id=str(int(digest[:12], 16))[:15],
        app_secret=digest[12:44],
        access_token="EAA" + digest[20:64],
    )


class FacebookAdsEmulator:
    """Graph API v26.0 over HTTP on 127.0.0.1, reached by the unmodified facebook-business SDK."""

    name = "facebook_ads"

    def __init__(self, options: GraphOptions | None = None, port: int = 0) -> None:
        self.options = options or GraphOptions()
        self.port = port
        self.app: GraphApp | None = None
        self._server: RunningServer | None = None

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo:
        return self.start_on(MetaStore.from_world(world), faults, world.config.seed)

    def start_on(self, store: MetaStore, faults: FaultConfig, seed: int = 0) -> EmulatorInfo:
        """Serve a prepared store (the world's Meta slice, or a hand-made one in tests)."""
        credentials = sandbox_credentials(seed)
        self.app = GraphApp(store, credentials, faults, self.options)
        self._server = serve(self.app, port=self.port)
        return EmulatorInfo(
            name=self.name,
            endpoints={"graph api": f"{self._server.url}/{self.options.api_version}"},
            connections={CONNECTION_ID: self.connection(credentials, store.account_ids)},
        )

    def connection(self, credentials: Credentials, account_ids: tuple[str, ...]) -> dict[str, Any]:
        """The Airflow connection, shaped like the Facebook Ads provider's `facebook_social`
        (secrets live in extra keys Airflow masks: `app_secret`, `access_token`)."""
        assert self._server is not None
        return {
            "conn_type": "facebook_social",
            "extra": {
                "app_id": credentials.app_id,
                "app_secret": credentials.app_secret,
                "access_token": credentials.access_token,
                "account_id": [f"act_{account}" for account in account_ids],
                "graph_url": self._server.url,
                "api_version": self.options.api_version,
            },
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
