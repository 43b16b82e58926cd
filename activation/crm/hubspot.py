"""HubSpot writes through hubspot-api-client: properties API, then CRM v3 batch upserts.

A warehouse key is a Salesforce Id. The portal's Salesforce integration keeps it on each record
(`salesforceleadid` on contacts, `salesforceaccountid` on companies): the sync pages through the
object once per run to map each key to the record's upsert id (`id_property`: email for contacts,
hs_object_id for companies). Keys the portal does not hold are skipped, never created.
Upserts go in batches of at most 100 inputs; a 429 waits for Retry-After, a 5xx backs off.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from hubspot import HubSpot
from hubspot.crm.companies.exceptions import ApiException as CompaniesApiError
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiError
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiError

from mdp.logging import redact, register_secrets
from mdp.settings import SyncSettings

from .errors import CrmApiError
from .mapping import ObjectMap, Target
from .records import Failure, Record, Value, WriteOutcome
from .schema import FieldInfo

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://api.hubapi.com"
PAGE_SIZE = 100
#: Each API package of the client raises its own ApiException (status, headers, body).
API_ERRORS = (ContactsApiError, CompaniesApiError, PropertiesApiError)


def property_text(value: Value) -> str:
    """A canonical value as HubSpot's property string ('' empties a property)."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _chunks(records: list[Record], size: int) -> Iterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def _error_body(error: Exception) -> dict[str, Any]:
    try:
        body = json.loads(getattr(error, "body", None) or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


class HubSpotCrm:
    """One portal, through a private app's access token."""

    target: Target = "hubspot"
    #: One batch call at a time: the 10-second rate window is shared by every object.
    parallel_objects = 1

    def __init__(
        self,
        access_token: str,
        settings: SyncSettings,
        host: str = DEFAULT_HOST,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        register_secrets([access_token])
        self.client = HubSpot(access_token=access_token, host=host)
        self.settings = settings
        self.sleep = sleep

    @classmethod
    def from_connection(cls, conn: Any, settings: SyncSettings) -> HubSpotCrm:
        """Generic HTTP connection: host = API base URL, password = private app token."""
        if not conn.password:
            raise CrmApiError("the HubSpot connection has no access token (password field)")
        return cls(conn.password, settings, conn.host or DEFAULT_HOST)

    def _call(self, name: str, call: Callable[[], Any]) -> Any:
        """Wait out 429s (Retry-After) and back off on 5xx; other errors are raised."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return call()
            except API_ERRORS as error:
                status = getattr(error, "status", None)
                if not isinstance(status, int) or attempt == self.settings.max_retries:
                    raise
                if status == 429:
                    headers = getattr(error, "headers", None) or {}
                    wait = float(headers.get("Retry-After") or 1.0)
                elif status >= 500:
                    wait = min(2.0**attempt, 60.0)
                else:
                    raise
                log.warning("HubSpot %s: HTTP %s, retrying in %.1fs", name, status, wait)
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _fatal(self, name: str, error: Exception) -> CrmApiError:
        body = _error_body(error)
        detail = body.get("message") or getattr(error, "reason", "") or type(error).__name__
        return CrmApiError(
            f"HubSpot {name}: HTTP {getattr(error, 'status', '?')} {redact(str(detail))}"
        )

    def describe(self, crm_object: str) -> dict[str, FieldInfo]:
        try:
            answer = self._call(
                f"properties {crm_object}",
                lambda: self.client.crm.properties.core_api.get_all(crm_object),
            )
        except API_ERRORS as error:
            raise self._fatal(f"properties {crm_object}", error) from None
        return {
            p.name: FieldInfo(
                p.name,
                p.type,
                not (p.modification_metadata and p.modification_metadata.read_only_value),
                tuple(o.value for o in p.options or []),
            )
            for p in answer.results
        }

    def resolve(self, obj: ObjectMap, keys: list[str]) -> dict[str, str]:
        """Page through the object once: match_property value → id_property value."""
        assert obj.hubspot is not None
        match, id_property = obj.hubspot.match_property, obj.hubspot.id_property
        api = getattr(self.client.crm, obj.hubspot.object).basic_api
        wanted, found = set(keys), {}
        after: str | None = None
        while True:
            try:
                page = self._call(
                    f"list {obj.hubspot.object}",
                    lambda cursor=after: api.get_page(  # type: ignore[misc]
                        limit=PAGE_SIZE, after=cursor, properties=[match, id_property]
                    ),
                )
            except API_ERRORS as error:
                raise self._fatal(f"list {obj.hubspot.object}", error) from None
            for record in page.results:
                key = record.properties.get(match)
                upsert_id = (
                    record.id
                    if id_property == "hs_object_id"
                    else record.properties.get(id_property)
                )
                if key in wanted and upsert_id:
                    found[key] = str(upsert_id)
            if not page.paging or not page.paging.next:
                return found
            after = page.paging.next.after

    def upsert(self, obj: ObjectMap, records: list[Record]) -> WriteOutcome:
        """Batch upserts of at most `hubspot_batch_size` (≤ 100) inputs."""
        assert obj.hubspot is not None
        models = importlib.import_module(f"hubspot.crm.{obj.hubspot.object}")
        api = getattr(self.client.crm, obj.hubspot.object).batch_api
        fields = [name for _, name in obj.fields_for("hubspot")]
        outcome = WriteOutcome()
        for chunk in _chunks(records, self.settings.hubspot_batch_size):
            inputs = [
                models.SimplePublicObjectBatchInputUpsert(
                    id=r.upsert_id,
                    id_property=obj.hubspot.id_property,
                    properties={f: property_text(r.values.get(f)) for f in fields},
                )
                for r in chunk
            ]
            batch = models.BatchInputSimplePublicObjectBatchInputUpsert(inputs=inputs)
            by_id = {r.upsert_id.lower(): r.key for r in chunk}
            outcome.sent += len(chunk)
            outcome.batches += 1
            self._batch(obj.hubspot.object, api, batch, by_id, outcome)
        return outcome

    def _batch(
        self, name: str, api: Any, batch: Any, by_id: dict[str, str], outcome: WriteOutcome
    ) -> None:
        try:
            answer = self._call(f"batch upsert {name}", lambda: api.upsert(batch))
        except API_ERRORS as error:
            status = getattr(error, "status", None)
            if status in (401, 403) or not isinstance(status, int):
                raise self._fatal(f"batch upsert {name}", error) from None
            # the batch was refused as a whole (validation): each of its records failed so
            body = _error_body(error)
            failure = Failure(
                str(body.get("category") or f"HTTP_{status}"),
                redact(str(body.get("message") or error)),
            )
            outcome.failures.update({key: failure for key in by_id.values()})
            return
        for item in getattr(answer, "errors", None) or []:
            ids = [i for values in (item.context or {}).values() for i in values]
            failure = Failure(str(item.category or "ERROR"), redact(str(item.message or "")))
            for upsert_id in ids:
                key = by_id.get(str(upsert_id).lower())
                if key is not None:
                    outcome.failures[key] = failure

    def close(self) -> None:
        """The client holds no connection that needs closing."""
