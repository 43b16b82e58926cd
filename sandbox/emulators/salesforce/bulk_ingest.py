"""Bulk API 2.0 ingest jobs: create → upload CSV → UploadComplete → InProgress → JobComplete."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.emulators.faults import FaultInjector

from .auth import INTEGRATION_USER_ID
from .errors import ApiError, not_found
from .store import SObjectTable, Store
from .values import from_csv, to_json
from .writes import OPERATIONS, Outcome, RowError, Writer

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
#: Share of records the `bulk_partial` data fault fails (half lock errors, half validation).
PARTIAL_SHARE = 0.10
_LOCK_ERROR = RowError(
    "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records"
)
_VALIDATION_ERROR = RowError(
    "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Record failed a validation rule set by the admin"
)


@dataclass
class IngestJob:
    """One ingest job and, once processed, its per-record results."""

    id: str
    table: SObjectTable
    operation: str
    external_id_field: str | None
    delimiter: str
    line_ending: str
    created: dt.datetime
    state: str = "Open"
    data: str | None = None
    error_message: str | None = None
    header: list[str] = field(default_factory=list)
    successful: list[tuple[Outcome, list[str]]] = field(default_factory=list)
    failed: list[tuple[RowError, list[str]]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)

    def info(self, version: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.table.schema.name,
            "createdById": INTEGRATION_USER_ID,
            "createdDate": to_json(self.created),
            "systemModstamp": to_json(self.created),
            "state": self.state,
            "externalIdFieldName": self.external_id_field,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "jobType": "V2Ingest",
            "contentUrl": f"services/data/v{version}/jobs/ingest/{self.id}/batches",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
            "numberRecordsProcessed": len(self.successful) + len(self.failed),
            "numberRecordsFailed": len(self.failed),
            "retries": 0,
            "totalProcessingTime": 0,
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        }
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


class IngestService:
    """The jobs of one org. As in Salesforce, a job is processed in the background once its
    upload is complete (UploadComplete → InProgress → JobComplete or Failed); polls only read."""

    def __init__(self, store: Store, injector: FaultInjector) -> None:
        self.store = store
        self.injector = injector
        self.partial = injector.has("bulk_partial")
        self._jobs: dict[str, IngestJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._lock_failed: set[tuple[str, str]] = set()

    def create(self, body: dict[str, Any], version: str) -> dict[str, Any]:
        table = self.store.resolve(str(body.get("object", "")))
        if table is None:
            raise _invalid_job(f"Unable to find object: {body.get('object')}")
        operation = body.get("operation")
        if operation not in OPERATIONS:
            raise _invalid_job(f"Invalid operation: {operation}")
        delimiter, line_ending = body.get("columnDelimiter", "COMMA"), body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise _invalid_job("Invalid columnDelimiter or lineEnding")
        key = _key_field(table, operation, body.get("externalIdFieldName"))
        job_id = f"7508d{next(self._ids):010d}AAA"
        job = IngestJob(
            job_id,
            table,
            operation,
            key if operation == "upsert" else None,
            delimiter,
            line_ending,
            self.store.stamp(),
        )
        with self._lock:
            self._jobs[job_id] = job
        return job.info(version)

    def job(self, job_id: str) -> IngestJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def list_jobs(self, version: str) -> dict[str, Any]:
        with self._lock:
            jobs = list(self._jobs.values())
        return {"done": True, "records": [j.info(version) for j in jobs], "nextRecordsUrl": None}

    def upload(self, job_id: str, data: bytes) -> None:
        job = self.job(job_id)
        if job.state != "Open" or job.data is not None:
            raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is not open for data upload")
        job.data = data.decode("utf-8")

    def set_state(self, job_id: str, state: str, version: str) -> dict[str, Any]:
        job = self.job(job_id)
        with self._lock:
            if state == "UploadComplete" and job.state == "Open":
                job.state = "UploadComplete"
            elif state == "Aborted" and job.state in ("Open", "UploadComplete", "InProgress"):
                job.state = "Aborted"
            else:
                raise ApiError(
                    400, "INVALIDJOBSTATE", f"Cannot change state from {job.state} to {state}"
                )
            info = job.info(version)
        if state == "UploadComplete":
            worker = threading.Thread(target=self._run, args=(job,), name=job_id, daemon=True)
            worker.start()
        return info

    def poll(self, job_id: str, version: str) -> dict[str, Any]:
        """GET job: its state and counts so far."""
        job = self.job(job_id)
        with self._lock:
            return job.info(version)

    def _run(self, job: IngestJob) -> None:
        """Process an uploaded job, unless it was aborted first."""
        with self._lock:
            if job.state != "UploadComplete":
                return
            job.state = "InProgress"
        self._process(job)

    def delete(self, job_id: str) -> None:
        job = self.job(job_id)
        if job.state not in ("JobComplete", "Failed", "Aborted"):
            raise ApiError(400, "INVALIDJOBSTATE", f"Job {job_id} is not in a terminal state")
        with self._lock:
            del self._jobs[job_id]

    def results(self, job_id: str, kind: str) -> str:
        """successfulResults / failedResults / unprocessedrecords as CSV."""
        job = self.job(job_id)
        out = io.StringIO()
        writer = csv.writer(
            out, delimiter=DELIMITERS[job.delimiter], lineterminator=LINE_ENDINGS[job.line_ending]
        )
        if kind == "successfulresults":
            writer.writerow(["sf__Id", "sf__Created", *job.header])
            for outcome, cells in job.successful:
                writer.writerow([outcome.id, "true" if outcome.created else "false", *cells])
        elif kind == "failedresults":
            writer.writerow(["sf__Id", "sf__Error", *job.header])
            for error, cells in job.failed:
                writer.writerow([_row_id(job, cells), error.bulk_text(), *cells])
        else:
            writer.writerow(job.header)
            writer.writerows(job.unprocessed)
        return out.getvalue()

    def _process(self, job: IngestJob) -> None:
        rows = list(
            csv.reader(io.StringIO(job.data or "", newline=""), delimiter=DELIMITERS[job.delimiter])
        )
        job.header, body = (rows[0], rows[1:]) if rows else ([], [])
        specs = [job.table.schema.resolve(name) for name in job.header]
        names = [spec.name for spec in specs if spec is not None]
        unknown = [name for name, spec in zip(job.header, specs, strict=True) if spec is None]
        if not rows or unknown:
            with self._lock:
                job.unprocessed = body
                job.error_message = (
                    f"InvalidBatch : Field name not found : {unknown[0]}"
                    if unknown
                    else "InvalidBatch : No data was uploaded"
                )
                job.state = "Failed"
            return
        writer = Writer(self.store, job.table, job.operation, job.external_id_field or "Id")
        with self.store.locked():
            for cells in body:
                self._process_row(job, writer, names, cells)
        with self._lock:
            if job.state == "InProgress":  # an abort meanwhile keeps what was processed
                job.state = "JobComplete"

    def _process_row(
        self, job: IngestJob, writer: Writer, names: list[str], cells: list[str]
    ) -> None:
        try:
            values = _typed(job.table, names, cells)
            self._inject(job, writer.key, values)
            job.successful.append((writer.write(values), cells))
        except RowError as error:
            job.failed.append((error, cells))

    def _inject(self, job: IngestJob, key: str, values: dict[str, Any]) -> None:
        """The `bulk_partial` data fault: a fixed share of records fail. Lock errors are
        transient (the same record succeeds when re-submitted); validation errors are not."""
        if not self.partial:
            return
        record_key = (job.table.schema.name, str(values.get(key) or sorted(values.items())))
        draw = self.injector.draw("bulk_partial", *record_key)
        if draw < PARTIAL_SHARE / 2 and record_key not in self._lock_failed:
            self._lock_failed.add(record_key)
            raise _LOCK_ERROR
        if PARTIAL_SHARE / 2 <= draw < PARTIAL_SHARE:
            raise _VALIDATION_ERROR


def _key_field(table: SObjectTable, operation: str, requested: str | None) -> str:
    """The upsert match field: Id or an external-id field of the object."""
    if operation != "upsert":
        return "Id"
    if not requested:
        raise _invalid_job("External ID was blank for upsert")
    spec = table.schema.resolve(requested)
    if spec is None or not (spec.external_id or spec.name == "Id"):
        raise _invalid_job(
            f"Field name provided, {requested} does not match an External ID, Salesforce Id, or "
            f"indexed field for {table.schema.name}"
        )
    return spec.name


def _typed(table: SObjectTable, names: list[str], cells: list[str]) -> dict[str, Any]:
    if len(cells) != len(names):
        raise RowError("INVALID_FIELD", f"Expected {len(names)} columns, found {len(cells)}")
    values: dict[str, Any] = {}
    for name, text in zip(names, cells, strict=True):
        try:
            values[name] = from_csv(text, table.schema.fields[name])
        except ValueError as exc:
            message = f"{name}: value not of required type: {text}"
            raise RowError("INVALID_TYPE_ON_FIELD_IN_RECORD", message, (name,)) from exc
    return values


def _row_id(job: IngestJob, cells: list[str]) -> str:
    lowered = [name.lower() for name in job.header]
    return cells[lowered.index("id")] if "id" in lowered else ""


def _invalid_job(detail: str) -> ApiError:
    return ApiError(400, "INVALIDJOB", f"InvalidJob : {detail}")
