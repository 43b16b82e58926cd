"""HubSpot's HTTP surface: bearer auth, injected faults, then the CRM v3 routes."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import unquote

from sandbox.emulators.faults import EXPIRED_TOKEN, RATE_LIMIT, SERVER_ERROR, FaultInjector
from sandbox.emulators.http import App, Request, Response
from sandbox.emulators.hubspot import batch, errors
from sandbox.emulators.hubspot.portal import OBJECT_TYPES, Portal, get_one, list_page, now
from sandbox.emulators.hubspot.properties import PropertyError

_OBJECTS = re.compile(r"^/crm/v3/objects/([^/]+)(?:/batch/(read|create|update|upsert)|/([^/]+))?$")
_PROPERTIES = re.compile(r"^/crm/v3/properties/([^/]+)(?:/([^/]+))?$")
#: The data fault that fails some inputs of each batch upsert (HTTP 207).
PARTIAL_BATCH = "partial_batch"


class HubSpotApp(App):
    """Answers like api.hubapi.com for the tokens it was given."""

    def __init__(self, portal: Portal, faults: FaultInjector, tokens: set[str]) -> None:
        self.portal = portal
        self.faults = faults
        self.tokens = tokens

    def handle(self, request: Request) -> Response:
        authorization = request.headers.get("Authorization", "")
        if authorization.removeprefix("Bearer ").strip() not in self.tokens:
            return errors.missing_credentials()
        failure = self._fault()
        return failure if failure is not None else self._route(request)

    def _fault(self) -> Response | None:
        """The injected failure for this call; a timeout only delays the real answer."""
        kind = self.faults.next_fault()
        if kind == RATE_LIMIT:
            return errors.rate_limited()
        if kind == EXPIRED_TOKEN:
            return errors.expired_token()
        if kind == SERVER_ERROR:
            # Alternate gateway errors so both codes show up in a run: 502, 503, 502, ...
            return errors.server_error(502 if self.faults.injected[SERVER_ERROR] % 2 else 503)
        if kind is not None:
            time.sleep(self.faults.config.slow_seconds)
        return None

    def _route(self, request: Request) -> Response:
        if match := _OBJECTS.match(request.path):
            return self._objects(request, *match.groups())
        if match := _PROPERTIES.match(request.path):
            return self._properties(request, *match.groups())
        return errors.not_found()

    def _objects(
        self, request: Request, raw_type: str, action: str | None, record_id: str | None
    ) -> Response:
        object_type = OBJECT_TYPES.get(raw_type)
        if object_type is None:
            return errors.validation(f"Unable to infer object type from: {raw_type}")
        if action and request.method == "POST":
            partial = self.faults.has(PARTIAL_BATCH)
            return batch.handle(self.portal, object_type, action, request, partial)
        if record_id and request.method == "GET":
            return get_one(self.portal, object_type, unquote(record_id), request)
        if record_id is None and action is None and request.method == "GET":
            return list_page(self.portal, object_type, request)
        return errors.not_found()

    def _properties(self, request: Request, raw_type: str, name: str | None) -> Response:
        object_type = OBJECT_TYPES.get(raw_type)
        if object_type is None:
            return errors.validation(f"Unable to infer object type from: {raw_type}")
        defs = self.portal.registry.of(object_type)
        if request.method == "GET" and name is None:
            return Response(200, {"results": [d.to_json() for d in defs.values()]})
        if request.method == "GET" and name in defs:
            return Response(200, defs[name].to_json())
        if request.method == "POST" and name is None:
            return self._create_property(object_type, request)
        return errors.error(
            404, f"Unable to find property {name} on {object_type}", "OBJECT_NOT_FOUND"
        )

    def _create_property(self, object_type: str, request: Request) -> Response:
        try:
            body = request.json()
            created = self.portal.registry.create(object_type, body, now())
        except json.JSONDecodeError:
            return errors.validation("Invalid input JSON")
        except PropertyError as refused:
            status = 409 if refused.category == "CONFLICT" else 400
            return errors.error(status, str(refused), refused.category)
        return Response(201, created.to_json())
