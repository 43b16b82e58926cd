"""`mdp sandbox up|status|down`: a background process, its state file and Airflow connections."""

from __future__ import annotations

import json
import stat

import pytest
import requests

from mdp.runtime import sandbox_process
from mdp.runtime.airflow_env import airflow_env, sandbox_state_path

pytestmark = pytest.mark.sandbox


def test_sandbox_lifecycle(settings) -> None:
    assert sandbox_process.read_state(settings) is None
    try:
        state = sandbox_process.start(settings, scale="tiny", seed=7, faults=0.0)
        assert state["status"] == "ready"
        assert state["world"]["scale"] == "tiny"
        # starting again returns the running sandbox instead of a second one
        assert sandbox_process.start(settings, "tiny", 7, 0.0)["pid"] == state["pid"]
        mode = stat.S_IMODE(sandbox_state_path(settings).stat().st_mode)
        assert mode == 0o600  # holds (fake) credentials

        env = airflow_env(settings)
        expected = {
            "MDP_GA4",
            "MDP_FACEBOOK_ADS",
            "MDP_GOOGLE_ADS",
            "MDP_SALESFORCE",
            "MDP_HUBSPOT",
            "MDP_SLACK_ALERTS",
        }
        assert {
            k.removeprefix("AIRFLOW_CONN_") for k in env if k.startswith("AIRFLOW_CONN_")
        } >= expected
        ga4 = json.loads(env["AIRFLOW_CONN_MDP_GA4"])["extra"]
        assert ga4["export_path"].endswith("ga4_export") and ga4["data_api_endpoint"]

        webhook = json.loads(env["AIRFLOW_CONN_MDP_SLACK_ALERTS"])
        reply = requests.post(
            f"{webhook['host']}/{webhook['password']}", json={"text": "hi"}, timeout=5
        )
        assert reply.status_code == 200 and reply.text == "ok"
    finally:
        assert sandbox_process.stop(settings) in (True, False)
    assert sandbox_process.read_state(settings) is None
    assert not sandbox_process.stop(settings)
