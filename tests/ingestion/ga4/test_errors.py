"""How each Data API failure is handled: retried, waited on, refreshed once, or failed clearly."""

from __future__ import annotations

import pytest
import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from ingestion.ga4.errors import DailyQuotaExhaustedError, Ga4Classifier, explain

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


@pytest.mark.parametrize(
    "error",
    [
        gexc.Unauthorized("Request had invalid authentication credentials."),
        auth_exc.InvalidOperation("Anonymous credentials cannot be refreshed."),
        auth_exc.RefreshError("The credentials do not contain the necessary fields"),
    ],
)
def test_a_rejected_token_is_refreshed_and_retried_once(error: Exception) -> None:
    classify = Ga4Classifier()
    first = classify(error)
    assert (first.retry, first.refresh_token) == (True, True)
    assert classify(error) == first  # tenacity asks again about the same failure
    again = classify(type(error)(str(error)))
    assert (again.retry, again.refresh_token) == (False, False)


def test_explanations_name_the_problem_without_secrets() -> None:
    daily = explain(DAILY, "412345678")
    assert isinstance(daily, DailyQuotaExhaustedError)
    assert "412345678" in str(daily) and "midnight Pacific" in str(daily)
    unknown = str(explain(UNKNOWN, "412345678"))
    assert "'sessionz' is not a valid GA4 dimension" in unknown and "'dimensions'" in unknown
    assert "not readable with these credentials" in str(explain(gexc.Forbidden("x"), "1"))
