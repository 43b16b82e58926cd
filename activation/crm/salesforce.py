"""Salesforce writes through simple-salesforce: describe, then Bulk API 2.0 upsert jobs.

simple-salesforce's login flows hard-code `*.salesforce.com`, so the session comes from the
connection's `token_url` (refresh_token grant) and the client runs in session-id mode. Each job
holds at most `salesforce_job_records` rows (simple-salesforce also splits under the 100 MB upload
limit); a job's failed rows come back from `failedResults` with Salesforce's error code.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceOperationError,
)

from ingestion.salesforce.client import ConnectionConfig, post_refresh_grant
from mdp.logging import redact, register_secrets
from mdp.settings import SyncSettings

from .errors import CrmApiError
from .mapping import ObjectMap, Target
from .records import Failure, Record, Value, WriteOutcome
from .schema import FieldInfo

log = logging.getLogger(__name__)

#: How a Bulk CSV cell empties a field (an empty cell leaves the stored value as it is).
BULK_NULL = "#N/A"
#: The same connection as the ingest_salesforce DAG reads (connected app + refresh token).
SalesforceConfig = ConnectionConfig


def bulk_cell(value: Value) -> str:
    """A canonical value as a Bulk 2.0 CSV cell."""
    if value is None:
        return BULK_NULL
    return repr(value) if isinstance(value, float) else str(value)


def _field_info(field: dict[str, Any]) -> FieldInfo:
    """A describe field's metadata; number fields tell how many whole digits they hold."""
    numeric = field["type"] in ("double", "currency", "percent", "int")
    precision, scale = int(field.get("precision") or 0), int(field.get("scale") or 0)
    digits = int(field.get("digits") or 0) if field["type"] == "int" else precision - scale
    return FieldInfo(
        field["name"],
        field["type"],
        bool(field.get("updateable")),
        tuple(p["value"] for p in field.get("picklistValues") or []),
        int(field.get("length") or 0),
        restricted=bool(field.get("restrictedPicklist")),
        digits=digits if numeric and digits > 0 else None,
    )


def parse_bulk_error(text: str) -> Failure:
    """`sf__Error` (CODE:message:fields) as code and message."""
    code, _, rest = text.partition(":")
    message = rest.removesuffix(":--")
    return Failure(code.strip() or "UNKNOWN", redact(message.strip()))


def _failed_records(bulk: Callable[[], Any], job_id: str) -> str:
    return str(bulk().get_failed_records(job_id))


def _chunks(records: list[Record], size: int) -> Iterator[list[Record]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


class SalesforceCrm:
    """One authenticated org."""

    target: Target = "salesforce"
    #: Bulk jobs run server-side: objects are written side by side, so their polls overlap.
    parallel_objects = 4

    def __init__(
        self,
        config: SalesforceConfig,
        settings: SyncSettings,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.settings = settings
        self.sleep = sleep
        register_secrets([config.client_secret, config.refresh_token])
        self.session = requests.Session()
        self.session.trust_env = False  # else REQUESTS_CA_BUNDLE would override `verify`
        if config.ca_bundle:
            self.session.verify = config.ca_bundle
        self._sf: Salesforce | None = None

    def authenticate(self) -> None:
        """Exchange the refresh token for a session."""
        try:
            response = post_refresh_grant(self.session, self.config)
        except requests.RequestException as error:
            raise CrmApiError(
                f"Salesforce token endpoint unreachable: {redact(str(error))}"
            ) from None
        body = response.json() if response.content else {}
        if response.status_code != 200 or "access_token" not in body:
            raise CrmApiError(
                f"Salesforce token endpoint {self.config.token_url} refused the refresh token "
                f"({body.get('error')}: {body.get('error_description')}); re-authorise the "
                "connected app and update the connection's refresh_token"
            )
        register_secrets([body["access_token"]])
        self._sf = Salesforce(
            instance_url=body["instance_url"],
            session_id=body["access_token"],
            session=self.session,
            version=self.config.api_version,
        )

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self.authenticate()
        assert self._sf is not None
        return self._sf

    def _call(self, name: str, call: Callable[[], Any]) -> Any:
        """Re-authenticate on an expired session; back off on 5xx; anything else is fatal."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return call()
            except SalesforceExpiredSession:
                self.authenticate()
            except SalesforceGeneralError as error:
                if attempt == self.settings.max_retries:
                    raise CrmApiError(f"Salesforce {name}: {redact(str(error))}") from None
                self.sleep(min(2.0**attempt, 60.0))
            except SalesforceError as error:
                raise CrmApiError(f"Salesforce {name}: {redact(str(error))}") from None
        raise CrmApiError(f"Salesforce {name}: gave up after {self.settings.max_retries} retries")

    def describe(self, crm_object: str) -> dict[str, FieldInfo]:
        described = self._call(
            f"describe {crm_object}",
            lambda: self.sf.restful(f"sobjects/{crm_object}/describe"),
        )
        return {f["name"]: _field_info(f) for f in described["fields"]}

    def resolve(self, obj: ObjectMap, keys: list[str]) -> dict[str, str]:
        """The warehouse key is the upsert key (the Id, or the value of an external-id field)."""
        return {key: key for key in keys}

    def upsert(self, obj: ObjectMap, records: list[Record]) -> WriteOutcome:
        """One Bulk 2.0 upsert job per `salesforce_job_records` records."""
        assert obj.salesforce is not None
        key_field = obj.salesforce.external_id_field
        fields = [name for _, name in obj.fields_for("salesforce")]
        outcome = WriteOutcome()
        for chunk in _chunks(records, self.settings.salesforce_job_records):
            rows = [
                {key_field: r.upsert_id, **{f: bulk_cell(r.values.get(f)) for f in fields}}
                for r in chunk
            ]
            by_id = {r.upsert_id: r.key for r in chunk}
            outcome.sent += len(chunk)
            outcome.batches += 1
            self._job(obj.salesforce.object, key_field, rows, by_id, outcome)
        return outcome

    def _job(
        self,
        sobject: str,
        key_field: str,
        rows: list[dict[str, str]],
        by_id: dict[str, str],
        outcome: WriteOutcome,
    ) -> None:
        def bulk() -> Any:  # looked up per call: a re-authentication makes a new client
            return getattr(self.sf.bulk2, sobject)

        try:
            results = self._call(
                f"Bulk upsert {sobject}",
                lambda: bulk().upsert(
                    records=rows,
                    external_id_field=key_field,
                    wait=self.settings.salesforce_poll_seconds,
                ),
            )
        except SalesforceOperationError as error:
            # the whole job failed (e.g. InvalidBatch): every row of it failed with that reason
            failure = Failure("JOB_FAILED", redact(str(error)))
            outcome.failures.update({key: failure for key in by_id.values()})
            return
        for result in results:
            job_id = str(result["job_id"])
            outcome.job_ids.append(job_id)
            if not int(result["numberRecordsFailed"]):
                continue
            text: str = self._call("failedResults", partial(_failed_records, bulk, job_id))
            for row in csv.DictReader(io.StringIO(text)):
                key = by_id.get(row.get(key_field) or row.get("sf__Id") or "")
                if key is not None:
                    outcome.failures[key] = parse_bulk_error(row["sf__Error"])

    def close(self) -> None:
        self.session.close()
