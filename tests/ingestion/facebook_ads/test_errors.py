"""Classification of Graph errors: throttles wait as long as Meta says, auth fails fast."""

from __future__ import annotations

import json

import requests
from facebook_business.exceptions import FacebookRequestError

from ingestion.facebook_ads.errors import as_source_error, classify, redact


def graph_error(code: int, subcode: int | None = None, status: int = 400, **extra) -> Exception:
    body = {"error": {"message": "m", "code": code, "is_transient": False, **extra}}
    if subcode:
        body["error"]["error_subcode"] = subcode
    buc = {"1": [{"type": "ads_insights", "call_count": 100, "estimated_time_to_regain_access": 3}]}
    headers = {"x-business-use-case-usage": json.dumps(buc)}
    context = {"method": "GET", "path": "/x", "params": {"access_token": "EAAsecret"}}
    return FacebookRequestError("failed", context, status, headers, json.dumps(body))


def test_rate_limits_wait_for_metas_estimate() -> None:
    for code, subcode in ((17, 2446079), (80000, 2446079), (613, 1487742), (4, None)):
        verdict = classify(graph_error(code, subcode))
        assert verdict.retry and verdict.wait_seconds == 180.0, (code, verdict)


def test_transient_server_and_network_errors_retry() -> None:
    assert classify(graph_error(1, status=500)).retry
    assert classify(graph_error(2601, 1815107, is_transient=True)).retry
    assert classify(requests.ReadTimeout("read timed out")).retry


def test_too_much_data_bad_requests_and_invalid_tokens_fail_fast() -> None:
    assert not classify(graph_error(1, 99, status=500)).retry
    assert not classify(graph_error(100)).retry
    assert not classify(graph_error(190)).retry
    expired = classify(graph_error(190, 463))
    assert expired.retry and expired.refresh_token


def test_final_errors_carry_no_secrets() -> None:
    message = str(as_source_error("call", graph_error(190, 463), "mdp_facebook_ads"))
    assert "EAAsecret" not in message and "mdp_facebook_ads" in message
    url = "http://h/v26.0/act_1/insights?access_token=EAAsecret&appsecret_proof=abc&limit=5"
    assert (
        redact(url) == "http://h/v26.0/act_1/insights?access_token=***&appsecret_proof=***&limit=5"
    )
