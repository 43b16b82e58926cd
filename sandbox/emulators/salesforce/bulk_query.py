"""Bulk API 2.0 query jobs: SOQL snapshot → poll to JobComplete → CSV results paged by locator."""

from __future__ import annotations

import csv
import io
import itertools
import threading
from dataclasses import dataclass
from typing import Any

from .auth import INTEGRATION_USER_ID
from .bulk_ingest import DELIMITERS, LINE_ENDINGS
from .errors import ApiError, not_found
from .query_plan import plan
from .store import Store
from .values import to_csv

DEFAULT_MAX_RECORDS = 50_000


@dataclass
class QueryJob:
    id: str
    operation: str
    sobject: str
    fields: tuple[str, ...]
    rows: list[dict[str, Any]]
    delimiter: str
    line_ending: str
    state: str = "UploadComplete"

    def info(self, version: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "object": self.sobject,
            "createdById": INTEGRATION_USER_ID,
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "jobType": "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter,
            "numberRecordsProcessed": len(self.rows) if self.state == "JobComplete" else 0,
            "retries": 0,
            "totalProcessingTime": 0,
        }


class QueryJobService:
    """Query jobs run at creation (a snapshot); polls only advance the visible state."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._jobs: dict[str, QueryJob] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def create(self, body: dict[str, Any], version: str) -> dict[str, Any]:
        operation = body.get("operation")
        if operation not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid operation: {operation}")
        query_plan = plan(self.store, str(body.get("query", "")))
        if query_plan.query.is_count:
            raise ApiError(400, "API_ERROR", "COUNT() is not supported by Bulk API 2.0 queries")
        rows = [row for _, row in query_plan.run(self.store, operation == "queryAll")]
        job = QueryJob(
            f"7508d{next(self._ids) + 500_000_000:010d}AAQ",
            operation,
            query_plan.sobject,
            query_plan.fields,
            rows,
            body.get("columnDelimiter", "COMMA"),
            body.get("lineEnding", "LF"),
        )
        with self._lock:
            self._jobs[job.id] = job
        return job.info(version)

    def job(self, job_id: str) -> QueryJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def poll(self, job_id: str, version: str) -> dict[str, Any]:
        job = self.job(job_id)
        with self._lock:
            job.state = {"UploadComplete": "InProgress", "InProgress": "JobComplete"}.get(
                job.state, job.state
            )
        return job.info(version)

    def abort(self, job_id: str, version: str) -> dict[str, Any]:
        job = self.job(job_id)
        if job.state == "JobComplete":
            raise ApiError(400, "INVALIDJOBSTATE", f"Job {job_id} is already complete")
        job.state = "Aborted"
        return job.info(version)

    def results(
        self, job_id: str, locator: str | None, max_records: str | None
    ) -> tuple[str, dict[str, str]]:
        """One CSV page and its Sforce-Locator / Sforce-NumberOfRecords headers."""
        job = self.job(job_id)
        if job.state != "JobComplete":
            raise ApiError(400, "INVALIDJOBSTATE", f"Job {job_id} is not complete")
        start = int(locator) if locator and locator.isdigit() else 0
        size = int(max_records) if max_records and max_records.isdigit() else DEFAULT_MAX_RECORDS
        page = job.rows[start : start + size]
        out = io.StringIO()
        writer = csv.writer(
            out,
            delimiter=DELIMITERS.get(job.delimiter, ","),
            lineterminator=LINE_ENDINGS.get(job.line_ending, "\n"),
            quoting=csv.QUOTE_ALL,
        )
        writer.writerow(job.fields)
        writer.writerows([to_csv(row[name]) for name in job.fields] for row in page)
        end = start + len(page)
        next_locator = str(end) if end < len(job.rows) else "null"
        return out.getvalue(), {
            "Sforce-Locator": next_locator,
            "Sforce-NumberOfRecords": str(len(page)),
        }
