"""`Ga4Emulator`: the GA4 Data API over plain HTTP, serving the world's `ga4_events`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.ga4.quota import QuotaLimits
from sandbox.emulators.ga4.server import Ga4App, PropertySettings
from sandbox.emulators.ga4.snapshots import Snapshots
from sandbox.emulators.http import RunningServer, serve

CONNECTION_ID = "mdp_ga4"


@dataclass(frozen=True)
class Ga4Options:
    """Property id, optional required token, the property's first "today" and its quota."""

    property_id: str = "412345678"
    access_token: str | None = None
    today: date | None = None  # default: the day after the world ends
    time_zone: str = "UTC"
    port: int = 0
    quota: QuotaLimits = field(default_factory=QuotaLimits)


class Ga4Emulator:
    """Runs the Data API emulator for a world (see README.md for the connection shape)."""

    name = "ga4"

    def __init__(self, options: Ga4Options | None = None) -> None:
        self.options = options or Ga4Options()
        self.app: Ga4App | None = None
        self._server: RunningServer | None = None

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo:
        from sandbox.world import platform_view

        options = self.options
        today = options.today or world.config.end + timedelta(days=1)
        snapshots = Snapshots(lambda as_of: platform_view(world, "ga4_events", as_of=as_of), today)
        settings = PropertySettings(
            property_id=options.property_id,
            currency_code=world.config.currency,
            time_zone=options.time_zone,
            access_token=options.access_token,
            quota=options.quota,
        )
        self.app = Ga4App(settings, snapshots, faults)
        self._server = serve(self.app, port=options.port)
        return EmulatorInfo(
            name=self.name,
            endpoints={"ga4 data api": self._server.url},
            connections={CONNECTION_ID: self.connection(self._server.url)},
        )

    def connection(self, url: str) -> dict[str, Any]:
        """The Airflow connection a GA4 Data API connector reads (documented in README.md)."""
        extra: dict[str, Any] = {
            "property_id": self.options.property_id,
            "data_api_endpoint": url,
            "credentials": "access_token" if self.options.access_token else "anonymous",
        }
        connection: dict[str, Any] = {"conn_type": "google_cloud_platform", "extra": extra}
        if self.options.access_token:
            connection["password"] = self.options.access_token
        return connection

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.app is not None:
            self.app.snapshots.close()
            self.app = None
