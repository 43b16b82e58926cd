"""How each Data API failure is handled: retried, waited on, refreshed, or failed clearly."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import requests
from google.analytics.data_v1beta.types import RunReportResponse
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ingestion.common.retry import RetryPolicy
from ingestion.ga4.client import MAX_TOKEN_REFRESHES, Ga4ReportClient
from ingestion.ga4.config import Ga4Config
from ingestion.ga4.errors import (
    DailyQuotaExhaustedError,
    Ga4ApiError,
    Ga4Classifier,
    explain,
    is_auth_failure,
)

DAILY = gexc.TooManyRequests("Exhausted property tokens per day. Try again tomorrow.")
HOURLY = gexc.TooManyRequests("Exhausted property tokens per hour.")
CONCURRENT = gexc.TooManyRequests("Exhausted concurrent requests quota.")
UNKNOWN = gexc.BadRequest("Field sessionz is not a valid dimension. For a list of valid ...")


@pytest.mark.parametrize(
    ("error", "retry", "reason"),
    [
        (DAILY, False, "daily property token quota exhausted"),
        (HOURLY, True, "temporary quota exhausted"),
        (CONCURRENT, True, "temporary quota exhausted"),
        (gexc.ServiceUnavailable("down"), True, "transient ServiceUnavailable"),
        (gexc.InternalServerError("oops"), True, "transient InternalServerError"),
        (gexc.DeadlineExceeded("slow"), True, "transient DeadlineExceeded"),
        (requests.exceptions.ReadTimeout("slow"), True, "transient ReadTimeout"),
        (UNKNOWN, False, "BadRequest"),
        (gexc.Forbidden("not shared"), False, "Forbidden"),
        (auth_exc.RefreshError("invalid_grant: Token has been expired or revoked."), False, ""),
    ],
)
def test_classification(error: Exception, retry: bool, reason: str) -> None:
    verdict = Ga4Classifier()(error)
    assert verdict.retry is retry
    assert reason in verdict.reason


REJECTED = [
    gexc.Unauthorized("Request had invalid authentication credentials."),
    auth_exc.InvalidOperation("Anonymous credentials cannot be refreshed."),
    auth_exc.RefreshError("The credentials do not contain the necessary fields"),
]


@pytest.mark.parametrize("error", REJECTED)
def test_a_rejected_token_is_left_to_the_client_not_the_retry_policy(error: Exception) -> None:
    verdict = Ga4Classifier()(error)
    assert (verdict.retry, verdict.reason) == (False, "token rejected (401)")
    assert is_auth_failure(error)


class ScriptedApi:
    """A Data API whose run_report answers from a script: an exception to raise, or a reply."""

    def __init__(self, script: list[Exception | None]) -> None:
        self.script = list(script)
        self.calls = 0

    def run_report(self, request: Any, timeout: float) -> RunReportResponse:
        self.calls += 1
        step = self.script.pop(0) if self.script else None
        if step is not None:
            raise step
        return RunReportResponse(row_count=0)


def client(script: list[Exception | None], attempts: int = 2) -> Ga4ReportClient:
    config = Ga4Config("mdp_ga4", "412345678", retry=RetryPolicy(attempts, 0.0, 0.0))
    reader = Ga4ReportClient(config, api=ScriptedApi(script), sleep=lambda _: None)
    reader.credentials = None  # nothing to refresh: the emulator's anonymous case
    return reader


def test_expired_tokens_are_refreshed_per_call_outside_the_retry_budget() -> None:
    # two attempts for 5xx; five rejected tokens around one 503 still succeed
    unauthorized = gexc.Unauthorized("expired")
    script = [unauthorized, unauthorized, gexc.ServiceUnavailable("x"), *[unauthorized] * 3]
    reader = client(script, attempts=2)
    reader.report(date(2025, 6, 1), date(2025, 6, 1))
    assert (reader.token_refreshes, reader._api.calls) == (5, 7)
    # the budget for 5xx is untouched by the refreshes: two 503s in a row still fail
    with pytest.raises(Ga4ApiError, match="report failed after retries: ServiceUnavailable"):
        client([gexc.ServiceUnavailable("x")] * 2, attempts=2).report(
            date(2025, 6, 1), date(2025, 6, 1)
        )


def test_a_token_refused_after_every_refresh_fails_clearly() -> None:
    reader = client([gexc.Unauthorized("expired")] * (MAX_TOKEN_REFRESHES + 1))
    with pytest.raises(Ga4ApiError, match="refused even after a refresh"):
        reader.report(date(2025, 6, 1), date(2025, 6, 1))
    assert reader._api.calls == MAX_TOKEN_REFRESHES + 1


def test_explanations_name_the_problem_without_secrets() -> None:
    daily = explain(DAILY, "412345678")
    assert isinstance(daily, DailyQuotaExhaustedError)
    assert "412345678" in str(daily) and "midnight Pacific" in str(daily)
    unknown = str(explain(UNKNOWN, "412345678"))
    assert "'sessionz' is not a valid GA4 dimension" in unknown and "'dimensions'" in unknown
    assert "not readable with these credentials" in str(explain(gexc.Forbidden("x"), "1"))
