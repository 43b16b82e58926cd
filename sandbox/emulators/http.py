"""A small threaded HTTP(S) server on 127.0.0.1 for the REST emulators (stdlib only)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.emulators.tls import CertPair


@dataclass
class Request:
    """What a route handler sees: method, normalised path, query, headers and body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    """Status, headers and body (bytes, or anything JSON-serialisable)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] | None = None
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


class App:
    """An emulator's request handling: override `handle`. Paths lose trailing slashes first,
    because the real clients add them inconsistently (e.g. `query/`, `/{id}/`)."""

    def handle(self, request: Request) -> Response:  # pragma: no cover - overridden
        return Response(404, {"error": "not found"})


def _handler_for(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, keep-alive clients wait for a
        # delayed ACK (~40 ms) on every request.
        disable_nagle_algorithm = True

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/") or "/"
            request = Request(self.command, path, parse_qs(parts.query), dict(self.headers), body)
            response = app.handle(request)
            try:
                self._reply(response)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
                self.close_connection = True

        def _reply(self, response: Response) -> None:
            payload = response.encoded()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (response.headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

        def log_message(self, format: str, *args: Any) -> None:  # quiet by default
            return

    return Handler


@dataclass
class RunningServer:
    """A server running in a daemon thread; `url` is what clients are given."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(app: App, port: int = 0, tls: CertPair | None = None) -> RunningServer:
    """Start serving `app` on 127.0.0.1 (port 0 = any free port), over HTTPS when `tls`."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(app))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert, tls.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, name=type(app).__name__, daemon=True)
    thread.start()
    return RunningServer(server, thread, f"{scheme}://127.0.0.1:{server.server_address[1]}")
