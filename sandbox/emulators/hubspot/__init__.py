"""HubSpot CRM v3 emulator (contacts, companies, properties) for `hubspot-api-client`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig, FaultInjector
from sandbox.emulators.http import RunningServer, serve
from sandbox.emulators.hubspot.app import PARTIAL_BATCH, HubSpotApp
from sandbox.emulators.hubspot.errors import PORTAL_ID
from sandbox.emulators.hubspot.portal import Portal
from sandbox.emulators.hubspot.seed import seed_portal

__all__ = ["ACCESS_TOKEN", "PARTIAL_BATCH", "HubSpotEmulator"]

#: The private app token the sandbox portal accepts (shaped like a real `pat-na1-…` token).
ACCESS_TOKEN = "pat-na1-5a4d6b0e-0000-4000-8000-000000000001"
CONNECTION_ID = "mdp_hubspot"


class HubSpotEmulator:
    """Serves the world's accounts and people as a HubSpot portal over plain HTTP."""

    name = "hubspot"

    def __init__(self, port: int = 0, score_properties: bool = False) -> None:
        self.port = port
        self.score_properties = score_properties
        self.portal: Portal | None = None
        self.faults: FaultInjector | None = None
        self._server: RunningServer | None = None

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo:
        """Seed the portal from `world.tables` and serve it (state lives in memory, not `home`)."""
        self.portal = Portal()
        seed_portal(self.portal, world.tables)
        if self.score_properties:  # the custom properties the CRM sync writes (mdp_lead_score…)
            self.portal.registry.add_score_properties()
        self.faults = FaultInjector(faults, self.name)
        self._server = serve(HubSpotApp(self.portal, self.faults, {ACCESS_TOKEN}), port=self.port)
        self.portal.base_url = self._server.url
        connection = {
            "conn_type": "http",
            "host": self._server.url,
            "password": ACCESS_TOKEN,
            "extra": {"portal_id": PORTAL_ID},
        }
        return EmulatorInfo(
            name=self.name,
            endpoints={"hubspot api": self._server.url},
            connections={CONNECTION_ID: connection},
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
