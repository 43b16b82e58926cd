"""Google's OAuth2 token endpoint (refresh_token grant) and the access tokens it issues."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.emulators.http import App, Request, Response

#: Admin routes (`/admin/...`) are answered by the emulator; None means "not an admin route".
AdminHandler = Callable[[Request], Response | None]


@dataclass(frozen=True)
class OAuthClient:
    """The OAuth client and the user's refresh token the emulator accepts."""

    client_id: str
    client_secret: str
    refresh_token: str

    @classmethod
    def generate(cls) -> OAuthClient:
        """Fresh random credentials (never fixed secrets in code)."""
        return cls(
            f"{secrets.token_hex(6)}.apps.googleusercontent.com",
            secrets.token_urlsafe(18),
            "1//" + secrets.token_urlsafe(40),
        )


class TokenIssuer:
    """Issues access tokens for the refresh token and says why a presented token is bad."""

    def __init__(self, client: OAuthClient, lifetime_seconds: float) -> None:
        self.client = client
        self.lifetime_seconds = lifetime_seconds
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = "ya29." + secrets.token_urlsafe(32)
        with self._lock:
            self._expiry[token] = time.monotonic() + self.lifetime_seconds
        return token

    def problem(self, token: str) -> str | None:
        """None for a live token, else the AuthenticationError name the API answers with."""
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return "OAUTH_TOKEN_INVALID"
        return "OAUTH_TOKEN_EXPIRED" if time.monotonic() >= expiry else None

    def expire(self, token: str) -> None:
        """Make a known token expired now (the expired_token fault)."""
        with self._lock:
            if token in self._expiry:
                self._expiry[token] = time.monotonic()


class OAuthApp(App):
    """`POST /token` as https://oauth2.googleapis.com/token answers it, plus admin routes."""

    def __init__(self, issuer: TokenIssuer, admin: AdminHandler) -> None:
        self.issuer = issuer
        self.admin = admin

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/admin/"):
            return self.admin(request) or Response(404, {"error": "not found"})
        if request.path != "/token" or request.method != "POST":
            return Response(404, {"error": "not found"})
        form = {key: values[0] for key, values in request.form().items()}
        return self.token(form)

    def token(self, form: dict[str, str]) -> Response:
        client = self.issuer.client
        if form.get("grant_type") != "refresh_token":
            return _error(400, "unsupported_grant_type", "Invalid grant_type: ")
        if (form.get("client_id"), form.get("client_secret")) != (
            client.client_id,
            client.client_secret,
        ):
            return _error(401, "invalid_client", "Unauthorized")
        if form.get("refresh_token") != client.refresh_token:
            return _error(400, "invalid_grant", "Token has been expired or revoked.")
        body = {
            "access_token": self.issuer.issue(),
            "expires_in": int(self.issuer.lifetime_seconds),
            "scope": "https://www.googleapis.com/auth/adwords",
            "token_type": "Bearer",
        }
        return Response(200, body, headers={"Cache-Control": "no-store"})


def _error(status: int, error: str, description: str) -> Response:
    return Response(status, {"error": error, "error_description": description})
