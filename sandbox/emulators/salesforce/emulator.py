"""The Salesforce emulator: an HTTPS org serving the world's CRM tables to simple-salesforce."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig, FaultInjector
from sandbox.emulators.http import RunningServer, serve
from sandbox.emulators.tls import ensure_certificate

from .app import OrgLimits, SalesforceApp
from .auth import OAuthClient, Sessions
from .org_data import (
    IMPLAUSIBLE_VALUES,
    SCHEMA_FAULTS,
    WRITEBACK_FIELDS,
    org_tables,
    plant_implausible,
)
from .schema import FieldSpec
from .store import Store

API_VERSION = "59.0"
CONNECTION_ID = "mdp_salesforce"
SANDBOX_CLIENT = OAuthClient(
    client_id="3MVG9mdpSandboxConnectedApp",
    client_secret="mdp-sandbox-client-secret",
    refresh_token="5Aep861mdpSandboxRefreshToken",
)


class SalesforceEmulator:
    """Starts one org per world. Options: REST query batch size, session lifetime, daily API
    allowance, and fields an admin added to the org (defaults: the score write-back fields)."""

    name = "salesforce"

    def __init__(
        self,
        batch_size: int = 2000,
        session_seconds: float = 7200.0,
        daily_requests: int = 15_000,
        extra_fields: Mapping[str, Mapping[str, str | FieldSpec]] = WRITEBACK_FIELDS,
        client: OAuthClient = SANDBOX_CLIENT,
    ) -> None:
        self.limits = OrgLimits(batch_size, daily_requests)
        self.session_seconds = session_seconds
        self.extra_fields = extra_fields
        self.client = client
        self.app: SalesforceApp | None = None
        self._server: RunningServer | None = None

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo:
        injector = FaultInjector(faults, self.name)
        schema_faults = frozenset(f for f in SCHEMA_FAULTS if injector.has(f))
        tables, external, defined = org_tables(world.tables, self.extra_fields, schema_faults)
        store = Store.from_arrow(tables, external, defined)
        if injector.has(IMPLAUSIBLE_VALUES):
            plant_implausible({name: table.rows for name, table in store.tables.items()})
        sessions = Sessions(self.client, self.session_seconds)
        self.app = SalesforceApp(store, sessions, injector, self.limits)
        cert = ensure_certificate(home / "tls")
        self._server = serve(self.app, tls=cert)
        self.app.instance_url = self._server.url
        return EmulatorInfo(
            name=self.name,
            endpoints={"salesforce (instance)": self._server.url},
            connections={CONNECTION_ID: self.connection(str(cert.cert))},
        )

    def connection(self, ca_bundle: str) -> dict[str, Any]:
        """The Airflow connection: instance URL, connected-app credentials, refresh token."""
        assert self._server is not None
        return {
            "conn_type": "salesforce",
            "host": self._server.url,
            "login": self.client.client_id,
            "password": self.client.client_secret,
            "extra": {
                "refresh_token": self.client.refresh_token,
                "token_url": f"{self._server.url}/services/oauth2/token",
                "instance_url": self._server.url,
                "api_version": API_VERSION,
                "ca_bundle": ca_bundle,
            },
        }

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
