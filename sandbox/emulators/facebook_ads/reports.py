"""Async insights jobs (AdReportRun): created by POST, advanced by polls, read when complete."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.emulators.facebook_ads import errors

#: Statuses a job shows on the polls before it finishes, one per poll.
_PROGRESS = ("Job Not Started", "Job Started", "Job Running")


@dataclass
class ReportRun:
    """One job: its rows are computed at creation (the data as of that moment)."""

    id: str
    account_id: str
    date_start: str
    date_stop: str
    rows: list[dict[str, Any]]
    polls_to_finish: int
    doomed: bool = False
    polls: int = 0
    time_ref: int = field(default_factory=lambda: int(time.time()))
    time_completed: int | None = None

    @property
    def finished(self) -> bool:
        return self.polls >= self.polls_to_finish

    @property
    def status(self) -> str:
        if self.finished:
            return "Job Failed" if self.doomed else "Job Completed"
        return _PROGRESS[min(max(self.polls - 1, 0), len(_PROGRESS) - 1)]

    def poll(self) -> dict[str, Any]:
        """The AdReportRun node as GET /<report_run_id> answers, one step further along."""
        self.polls += 1
        if self.finished and self.time_completed is None:
            self.time_completed = int(time.time())
        percent = 100 if self.finished and not self.doomed else 0
        if not self.finished:
            percent = (self.polls - 1) * 100 // self.polls_to_finish
        node: dict[str, Any] = {
            "id": self.id,
            "account_id": self.account_id,
            "async_status": self.status,
            "async_percent_completion": percent,
            "date_start": self.date_start,
            "date_stop": self.date_stop,
            "emails": [],
            "friendly_name": "",
            "is_bookmarked": False,
            "is_running": not self.finished,
            "schedule_id": "",
            "time_ref": self.time_ref,
        }
        if self.time_completed is not None:
            node["time_completed"] = self.time_completed
        return node

    def results(self) -> list[dict[str, Any]]:
        """The report's rows; reading a job that is not complete is Graph's code 2601."""
        if not self.finished or self.doomed:
            raise errors.report_not_ready()
        return self.rows


class ReportRuns:
    """The jobs of one emulator, by id (ids are numeric strings like Graph's)."""

    def __init__(self, polls_to_finish: int) -> None:
        self.polls_to_finish = polls_to_finish
        self._runs: dict[str, ReportRun] = {}
        self._lock = threading.Lock()
        self._next_id = 6_021_000_000_000_000

    def create(
        self, account_id: str, dates: tuple[str, str], rows: list[dict[str, Any]], doomed: bool
    ) -> ReportRun:
        with self._lock:
            self._next_id += 1
            run = ReportRun(
                str(self._next_id), account_id, *dates, rows, self.polls_to_finish, doomed
            )
            self._runs[run.id] = run
        return run

    def get(self, report_id: str) -> ReportRun | None:
        with self._lock:
            return self._runs.get(report_id)
