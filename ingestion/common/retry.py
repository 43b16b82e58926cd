"""Retries with exponential back-off and jitter that honour the source's own wait hints.

Each connector classifies its client's exceptions into a `Verdict`: retry or not, how long the
source asked to wait (Retry-After, Google's retry_delay, Meta's regain-access estimate), and
whether the access token must be refreshed first. One policy then serves every source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tenacity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """What to do about one failed call."""

    retry: bool
    reason: str = ""
    wait_seconds: float | None = None
    refresh_token: bool = False


Classifier = Callable[[BaseException], Verdict]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, the back-off base and the longest single wait."""

    attempts: int = 8
    base_seconds: float = 1.0
    max_wait_seconds: float = 120.0


def retrying(
    name: str,
    classify: Classifier,
    policy: RetryPolicy = RetryPolicy(),
    on_refresh: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tenacity.Retrying:
    """A tenacity controller: `for attempt in retrying(...): with attempt: call()`."""
    jitter = tenacity.wait_random_exponential(
        multiplier=policy.base_seconds, max=policy.max_wait_seconds
    )

    def verdict_of(state: tenacity.RetryCallState) -> Verdict:
        assert state.outcome is not None
        error = state.outcome.exception()
        return classify(error) if error is not None else Verdict(retry=False)

    def wait(state: tenacity.RetryCallState) -> float:
        hinted = verdict_of(state).wait_seconds
        if hinted is not None:
            return min(hinted, policy.max_wait_seconds)
        return float(jitter(state))

    def before_sleep(state: tenacity.RetryCallState) -> None:
        verdict = verdict_of(state)
        seconds = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: attempt %d/%d failed (%s); retrying in %.1fs",
            name,
            state.attempt_number,
            policy.attempts,
            verdict.reason,
            seconds,
        )
        if verdict.refresh_token and on_refresh is not None:
            on_refresh()

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda error: classify(error).retry),
        wait=wait,
        stop=tenacity.stop_after_attempt(policy.attempts),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )


def call_with_retries(
    name: str,
    call: Callable[[], Any],
    classify: Classifier,
    policy: RetryPolicy = RetryPolicy(),
    on_refresh: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Run `call` under the policy; the last error is raised unchanged when retries run out."""
    for attempt in retrying(name, classify, policy, on_refresh, sleep):
        with attempt:
            return call()
    raise AssertionError("unreachable: tenacity re-raises the last error")


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from an HTTP Retry-After header (delta-seconds form), if present."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
