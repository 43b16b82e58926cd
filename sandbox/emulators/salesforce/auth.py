"""OAuth 2.0 token endpoint and access-token sessions (lifetime, expiry, revocation)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from .errors import ApiError

ORG_ID = "00D8d0000000001EAA"
INTEGRATION_USER_ID = "0058d0000000001AAA"


@dataclass(frozen=True)
class OAuthClient:
    """The connected app and the refresh token a connector is configured with."""

    client_id: str
    client_secret: str
    refresh_token: str


class OAuthError(Exception):
    """A token-endpoint failure: 400 with {"error", "error_description"}."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.body = {"error": error, "error_description": description}


class Sessions:
    """Issued access tokens; a token is valid until its lifetime ends or it is revoked."""

    def __init__(self, client: OAuthClient, lifetime_seconds: float) -> None:
        self.client = client
        self.lifetime = lifetime_seconds
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def grant(self, form: dict[str, list[str]], instance_url: str) -> dict[str, str]:
        """Answer POST /services/oauth2/token (refresh_token or client_credentials grants)."""
        grant = _one(form, "grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        if _one(form, "client_id") != self.client.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if _one(form, "client_secret") != self.client.client_secret:
            raise OAuthError("invalid_client", "invalid client credentials")
        if grant == "refresh_token" and _one(form, "refresh_token") != self.client.refresh_token:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return self._issue(instance_url)

    def _issue(self, instance_url: str) -> dict[str, str]:
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(72)}"
        with self._lock:
            self._expiry[token] = time.monotonic() + self.lifetime
        issued_at = str(int(time.time() * 1000))
        identity = f"https://login.salesforce.com/id/{ORG_ID}/{INTEGRATION_USER_ID}"
        digest = hmac.new(
            self.client.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        return {
            "access_token": token,
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
            "scope": "api refresh_token",
        }

    def check(self, authorization: str | None) -> str:
        """The bearer token of a live session, or 401 INVALID_SESSION_ID."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None or time.monotonic() >= expiry:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return token

    def revoke(self, token: str) -> None:
        """End a session now (what an expired_token fault does to the caller's session)."""
        with self._lock:
            self._expiry.pop(token, None)


def _one(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None
