"""The Google Ads emulator: gRPC GoogleAdsService (TLS and plaintext) plus an OAuth2 server."""

from __future__ import annotations

import datetime as dt
import secrets
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pyarrow as pa

from sandbox.emulators.base import EmulatorInfo
from sandbox.emulators.faults import FaultConfig, FaultInjector
from sandbox.emulators.google_ads.oauth import OAuthApp, OAuthClient, TokenIssuer
from sandbox.emulators.google_ads.service import GoogleAdsService, ServiceSettings
from sandbox.emulators.google_ads.tables import MetricsView, WorldData
from sandbox.emulators.http import Request, Response, RunningServer, serve
from sandbox.emulators.tls import ensure_certificate
from sandbox.world import platform_view

CONNECTION_ID = "mdp_google_ads"
API_VERSION = "v26"


def world_metrics_view(world: Any) -> MetricsView:
    """The world's `platform_view` of daily metrics (conversions restate for 30 days)."""

    def view(today: dt.date) -> pa.Table:
        return platform_view(world, "google_ads_metrics_daily", as_of=today)

    return view


class GoogleAdsEmulator:
    """Serves one world to the official `google-ads` client; see README.md for the contract.

    The sandbox clock (`today`, default: the day after the world ends) decides which metrics
    the platform reports; move it with `set_today` or `POST /admin/clock {"today": ...}`.
    """

    name = "google_ads"

    def __init__(
        self,
        batch_size: int = 10_000,
        page_size: int = 10_000,
        token_lifetime_seconds: float = 3599,
        manager_customer_id: str = "1112223333",
        disabled_customer_ids: frozenset[str] = frozenset(),
        metrics_view: MetricsView | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.page_size = page_size
        self.client = OAuthClient.generate()
        self.issuer = TokenIssuer(self.client, token_lifetime_seconds)
        self.developer_token = secrets.token_urlsafe(16)
        self.test_developer_token = secrets.token_urlsafe(16)
        self.manager_customer_id = manager_customer_id
        self.disabled_customer_ids = disabled_customer_ids
        self._metrics_view = metrics_view
        self._grpc: grpc.Server | None = None
        self._http: RunningServer | None = None
        self.service: GoogleAdsService | None = None

    def start(self, world: Any, faults: FaultConfig, home: Path) -> EmulatorInfo:
        """Start both servers on free ports; returns the endpoints and the Airflow connection."""
        view = self._metrics_view or world_metrics_view(world)
        data = WorldData(world, view, world.config.end + dt.timedelta(days=1))
        settings = ServiceSettings(
            self.developer_token,
            self.test_developer_token,
            self.manager_customer_id,
            batch_size=self.batch_size,
            page_size=self.page_size,
            disabled_customer_ids=self.disabled_customer_ids,
        )
        self.service = GoogleAdsService(
            data, self.issuer, FaultInjector(faults, self.name), settings
        )
        cert = ensure_certificate(home / "tls")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        server.add_generic_rpc_handlers((self.service.handler(),))
        credentials = grpc.ssl_server_credentials([(cert.key.read_bytes(), cert.cert.read_bytes())])
        tls_port = server.add_secure_port("127.0.0.1:0", credentials)
        plain_port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc = server
        self._http = serve(OAuthApp(self.issuer, self._admin))
        return self._info(f"localhost:{tls_port}", f"127.0.0.1:{plain_port}", cert.cert)

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(grace=0).wait()
            self._grpc = None
        if self._http is not None:
            self._http.stop()
            self._http = None

    # -- sandbox controls -----------------------------------------------------------------------

    @property
    def today(self) -> dt.date:
        return self._running().data.today

    def set_today(self, today: dt.date) -> None:
        """Move the sandbox clock: metrics are then reported as pulled on `today`."""
        self._running().data.set_today(today)

    def set_daily_quota_exhausted(self, exhausted: bool) -> None:
        """Exhaust (or restore) the developer's daily quota: every call fails meanwhile."""
        self._running().daily_quota_exhausted = exhausted

    def _running(self) -> GoogleAdsService:
        if self.service is None:
            raise RuntimeError("the Google Ads emulator is not started")
        return self.service

    def _admin(self, request: Request) -> Response | None:
        if request.path == "/admin/clock":
            if request.method == "POST":
                self.set_today(dt.date.fromisoformat(request.json()["today"]))
            return Response(200, {"today": self.today.isoformat()})
        if request.path == "/admin/quota" and request.method == "POST":
            self.set_daily_quota_exhausted(bool(request.json()["daily_exhausted"]))
            return Response(200, {"daily_exhausted": self._running().daily_quota_exhausted})
        return None

    def _info(self, tls_endpoint: str, plain_endpoint: str, ca_cert: Path) -> EmulatorInfo:
        assert self._http is not None and self.service is not None
        customer_ids = sorted(str(c) for c in self.service.data.accounts.customer_ids)
        token_uri = f"{self._http.url}/token"
        extra = {
            "developer_token": self.developer_token,
            "refresh_token": self.client.refresh_token,
            "login_customer_id": self.manager_customer_id,
            "customer_ids": customer_ids,
            "endpoint": tls_endpoint,
            "token_uri": token_uri,
            "ca_cert_path": str(ca_cert),
            "api_version": API_VERSION,
        }
        connection = {
            "conn_type": "google_ads",
            "login": self.client.client_id,
            "password": self.client.client_secret,
            "extra": extra,
        }
        endpoints = {
            "grpc (TLS)": tls_endpoint,
            "grpc (plaintext)": plain_endpoint,
            "oauth token": token_uri,
            "admin": f"{self._http.url}/admin",
        }
        return EmulatorInfo(self.name, endpoints, {CONNECTION_ID: connection})
