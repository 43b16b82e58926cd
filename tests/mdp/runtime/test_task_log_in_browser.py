"""The Airflow UI, opened in headless Chromium, shows the log of a task mdp ran."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from mdp import PROJECT_ROOT
from mdp.runtime.airflow_env import airflow_env
from mdp.runtime.setup import ensure_airflow_db

pytestmark = pytest.mark.airflow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PROBE_DAGS = Path(__file__).parent / "tiny_dags"
RUN_ID = "manual__2025-03-04T00:00:00%2B00:00"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"api-server not healthy at {url}")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no headless Chromium")
def test_the_ui_task_log_page_shows_the_task_log(settings, tmp_path: Path) -> None:
    ensure_airflow_db(settings)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "NO_COLOR": "1"}
    subprocess.run([sys.executable, str(PROBE_DAGS / "run_probe.py")], env=env, check=False)
    port = _free_port()
    server_env = {
        **env,
        **airflow_env(settings),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROBE_DAGS),
        "AIRFLOW__API__PORT": str(port),
    }
    airflow = Path(sys.executable).parent / "airflow"
    server = subprocess.Popen(
        [str(airflow), "api-server", "--port", str(port)],
        env=server_env,
        stdout=(tmp_path / "api-server.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(f"{base}/api/v2/monitor/health")
        page = f"{base}/dags/runner_probe/runs/{RUN_ID}/tasks/say_hello"
        browser = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu"]
        browser += ["--window-size=1400,900", "--virtual-time-budget=20000"]
        shot = tmp_path / "say_hello_log.png"
        subprocess.run([*browser, f"--screenshot={shot}", page], capture_output=True, timeout=120)
        dom = subprocess.run(
            [*browser, "--dump-dom", page], capture_output=True, text=True, timeout=120
        ).stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert shot.stat().st_size > 10_000
    assert "hello from the probe task" in dom
    assert "a line printed by the probe task" in dom
    assert "Log file not found" not in dom
