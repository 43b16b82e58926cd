"""The shared retry policy: retries what the classifier allows, honours hints, refreshes tokens."""

from __future__ import annotations

import logging

import pytest

from ingestion.common.retry import RetryPolicy, Verdict, call_with_retries, retry_after_seconds


class Throttled(Exception):
    pass


class Expired(Exception):
    pass


class Fatal(Exception):
    pass


def classify(error: BaseException) -> Verdict:
    if isinstance(error, Throttled):
        return Verdict(retry=True, reason="rate limited", wait_seconds=7.0)
    if isinstance(error, Expired):
        return Verdict(retry=True, reason="token expired", wait_seconds=0.0, refresh_token=True)
    return Verdict(retry=False, reason=str(error))


def flaky(errors: list[BaseException]):
    calls = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    return call, calls


def test_retries_until_success_and_logs_each_retry(caplog: pytest.LogCaptureFixture) -> None:
    call, calls = flaky([Throttled(), Throttled()])
    waits: list[float] = []
    with caplog.at_level(logging.WARNING):
        assert call_with_retries("meta insights", call, classify, sleep=waits.append) == "ok"
    assert len(calls) == 3
    assert waits == [7.0, 7.0]  # the source's hint, not the generic back-off
    assert caplog.text.count("meta insights: attempt") == 2
    assert "rate limited" in caplog.text


def test_refreshes_token_before_retrying() -> None:
    call, _ = flaky([Expired()])
    refreshed: list[int] = []
    call_with_retries(
        "sf", call, classify, on_refresh=lambda: refreshed.append(1), sleep=lambda s: None
    )
    assert refreshed == [1]


def test_fatal_errors_are_not_retried() -> None:
    call, calls = flaky([Fatal("bad query")])
    with pytest.raises(Fatal):
        call_with_retries("ads", call, classify, sleep=lambda s: None)
    assert len(calls) == 1


def test_gives_up_after_the_attempts_with_the_last_error() -> None:
    call, calls = flaky([Throttled()] * 10)
    with pytest.raises(Throttled):
        call_with_retries("ga4", call, classify, RetryPolicy(attempts=3), sleep=lambda s: None)
    assert len(calls) == 3


def test_hint_is_capped_and_jitter_used_without_hint() -> None:
    waits: list[float] = []

    def no_hint(error: BaseException) -> Verdict:
        return Verdict(retry=True, reason="5xx")

    call, _ = flaky([Fatal(), Fatal()])
    call_with_retries(
        "x", call, no_hint, RetryPolicy(base_seconds=1, max_wait_seconds=4), sleep=waits.append
    )
    assert all(0 <= w <= 4 for w in waits)


def test_retry_after_header() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds(None) is None
