"""Google Ads API access: the official client from an Airflow connection; SearchStream, retried."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from ingestion.common.retry import RetryPolicy, call_with_retries
from mdp.errors import ConfigError

from .errors import GoogleAdsSourceError, classify, is_credentials_failure
from .schema import Stream, concat, rows_to_arrow

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "v26"
#: gRPC reads this once per process, when it creates its first TLS channel.
SSL_ROOTS_ENV = "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"


@dataclass(frozen=True)
class AdsConnection:
    """What the Airflow connection holds; secrets stay out of repr (and so out of logs)."""

    client_id: str
    client_secret: str = field(repr=False)
    developer_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    customer_ids: tuple[str, ...]
    login_customer_id: str | None = None
    endpoint: str | None = None
    token_uri: str = "https://oauth2.googleapis.com/token"
    ca_cert_path: str | None = None
    api_version: str = DEFAULT_API_VERSION
    conn_id: str = "mdp_google_ads"

    @classmethod
    def from_airflow(cls, conn_id: str, connection: Any) -> AdsConnection:
        """Read login (client id), password (client secret) and the extra JSON."""
        extra: Mapping[str, Any] = connection.extra_dejson or {}
        missing = [
            k for k in ("developer_token", "refresh_token", "customer_ids") if not extra.get(k)
        ]
        if not connection.login or not connection.password:
            missing.append("login/password (OAuth client id/secret)")
        if missing:
            raise ConfigError(f"Airflow connection {conn_id!r} lacks {', '.join(missing)}")
        ids = extra["customer_ids"]
        ids = [ids] if isinstance(ids, str | int) else ids
        login = extra.get("login_customer_id")
        return cls(
            client_id=connection.login,
            client_secret=connection.password,
            developer_token=extra["developer_token"],
            refresh_token=extra["refresh_token"],
            customer_ids=tuple(customer_id(i, conn_id, "customer_ids") for i in ids),
            login_customer_id=customer_id(login, conn_id, "login_customer_id") if login else None,
            endpoint=extra.get("endpoint"),
            token_uri=extra.get("token_uri") or cls.token_uri,
            ca_cert_path=extra.get("ca_cert_path"),
            api_version=extra.get("api_version") or DEFAULT_API_VERSION,
            conn_id=conn_id,
        )


#: A customer id as the Google Ads UI shows it (123-456-7890) or as the API takes it (10 digits).
_CUSTOMER_ID = re.compile(r"[0-9]{3}-?[0-9]{3}-?[0-9]{4}")


def customer_id(value: Any, conn_id: str, field: str) -> str:
    """A customer id checked against Google's format and normalised to its 10 digits (every
    request names it, in the path and in the login-customer-id header)."""
    text = str(value).strip()
    if isinstance(value, bool) or not _CUSTOMER_ID.fullmatch(text):
        raise ConfigError(
            f"Airflow connection {conn_id!r}: extra field {field} has {text[:60]!r}, which is "
            "not a Google Ads customer id (10 digits, dashes allowed: 123-456-7890)"
        )
    return text.replace("-", "")


_roots_in_use: str | None = None


def _trust_ca(path: str | None) -> None:
    """Trust the connection's CA (the sandbox's) instead of the default roots.

    gRPC reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH once per process, at its first TLS channel, so
    this must run before any channel is created; a second, different CA cannot take effect.
    """
    global _roots_in_use
    if not path:
        return
    if _roots_in_use and _roots_in_use != path:
        log.warning("gRPC already trusts %s for this process; %s is ignored", _roots_in_use, path)
        return
    os.environ[SSL_ROOTS_ENV] = path
    _roots_in_use = path


#: Loggers of the client stack that report a failed call on their own (gRPC logs the auth
#: plugin's traceback at ERROR; google-ads logs a "Request made ... IsFault" WARNING per failed
#: call). The connector already logs each retry and raises one line with the codes, messages
#: and request id, so their records are kept at DEBUG, on one line each.
CLIENT_LOGGERS = ("grpc._plugin_wrapping", "google.ads.googleads.client")


class _AtDebug(logging.Filter):
    """Re-log a client library's warnings and errors at DEBUG, one line, without traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        line = record.getMessage().splitlines()[0] if record.getMessage() else ""
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {str(error).splitlines()[0][:300]})"
        log.debug("%s: %s", record.name, line)
        return False


def _client_logs_at_debug() -> None:
    for name in CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _AtDebug) for f in logger.filters):
            logger.addFilter(_AtDebug())


@dataclass
class AdsApi:
    """GoogleAdsService over the official client: one SearchStream per (customer, query).

    SearchStream has no page token: a stream that breaks half-way must be run again whole, so
    each call collects its full result (one day for daily streams) inside the retry loop.
    """

    connection: AdsConnection
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float = 600.0
    sleep: Callable[[float], None] = time.sleep
    _client: Any = field(default=None, init=False, repr=False)
    _service: Any = field(default=None, init=False, repr=False)

    def _connect(self) -> Any:
        if self._service is None:
            import google.oauth2.credentials
            from google.ads.googleads.client import GoogleAdsClient

            conn = self.connection
            _trust_ca(conn.ca_cert_path)
            _client_logs_at_debug()
            credentials = google.oauth2.credentials.Credentials(
                token=None,  # google-auth fetches one from the refresh token on first use
                refresh_token=conn.refresh_token,
                client_id=conn.client_id,
                client_secret=conn.client_secret,
                token_uri=conn.token_uri,
            )
            kwargs: dict[str, Any] = {"endpoint": conn.endpoint} if conn.endpoint else {}
            self._client = GoogleAdsClient(
                credentials=credentials,
                developer_token=conn.developer_token,
                login_customer_id=conn.login_customer_id,
                version=conn.api_version,
                use_proto_plus=False,  # raw protobufs: much faster to decode, same wire format
                **kwargs,
            )
            self._service = self._client.get_service("GoogleAdsService")
        return self._service

    def refresh_token(self) -> None:
        """Fetch a new access token now (the server said the current one expired)."""
        import google.auth.transport.requests

        self._connect()
        self._client.credentials.refresh(google.auth.transport.requests.Request())
        log.info("google_ads: access token refreshed")

    def fetch(
        self, customer_id: str, stream: Stream, window: tuple[date, date] | None = None
    ) -> pa.Table | None:
        """The whole result of one stream query (a date window of a daily stream) as Arrow."""
        query = stream.query(window)
        label = f"google_ads {stream.name} customer {customer_id}" + (
            f" {window[0]}..{window[1]}" if window else ""
        )

        def run() -> pa.Table | None:
            service = self._connect()
            responses = service.search_stream(
                customer_id=customer_id, query=query, timeout=self.timeout_seconds
            )
            # decode batch by batch: Arrow is far smaller than the protobuf rows
            return concat(rows_to_arrow(r.results, stream) for r in responses)

        try:
            return call_with_retries(
                label, run, classify, self.policy, on_refresh=self.refresh_token, sleep=self.sleep
            )
        except Exception as error:
            if isinstance(error, GoogleAdsSourceError):
                raise
            verdict = classify(error)
            tried = f" after {self.policy.attempts} attempts" if verdict.retry else ""
            fix = ""
            if is_credentials_failure(error):
                fix = (
                    "; renew the refresh_token (or the OAuth client id/secret, the login and "
                    f"password) of Airflow connection {self.connection.conn_id!r}"
                )
            raise GoogleAdsSourceError(f"{label} failed{tried}: {verdict.reason}{fix}") from error
