"""Every task mdp runs through dag.test leaves its log where the Airflow UI reads it, and the
terminal shows progress, not Airflow's stream."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mdp import PROJECT_ROOT
from mdp.runtime.dag_runner import failure_cause
from mdp.runtime.setup import ensure_airflow_db

pytestmark = pytest.mark.airflow

PROBE = Path(__file__).parent / "tiny_dags" / "run_probe.py"
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "NO_COLOR": "1", "COLUMNS": "200"}


def _run_probe_in_pty() -> tuple[int, str]:
    """Run the probe under a pseudo-terminal, as a person at a terminal runs `mdp run`."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, [sys.executable, str(PROBE)], ENV)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def test_each_task_log_is_where_the_ui_reads_it(settings) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.log.log_reader import TaskLogReader
    from airflow.utils.session import create_session

    ensure_airflow_db(settings)
    done = subprocess.run(
        [sys.executable, str(PROBE)], env=ENV, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr[-3000:]
    # the failure names the DAG, the task, the first lines of the real cause and the logs
    assert "DAG runner_probe" in done.stderr and "task fail_loudly failed" in done.stderr
    assert "ValueError: the probe's real cause" in done.stderr
    assert "second line of the cause" in done.stderr
    assert "after_failure did not run" in done.stderr
    assert "task log:" in done.stderr and "full log:" in done.stderr
    # not a TTY either: progress per task, and no Airflow stream
    assert "runner_probe › say_hello success" in done.stdout
    assert "runner_probe › skip_politely skipped" in done.stdout
    assert "[info" not in done.stdout + done.stderr

    with create_session() as session:
        run = session.query(DagRun).filter(DagRun.dag_id == "runner_probe").one()
        # the grid reads as the data's calendar: the run is dated by the days it processed
        assert run.logical_date == datetime(2025, 3, 1, tzinfo=UTC)
        assert run.data_interval_start == datetime(2025, 3, 1, tzinfo=UTC)
        assert run.data_interval_end == datetime(2025, 3, 4, tzinfo=UTC)
        assert run.run_id == "manual__2025-03-04T00:00:00+00:00"
        expected = {
            "say_hello": "hello from the probe task",
            "skip_politely": "nothing to sync: no scored rows",
            "fail_loudly": "ValueError: the probe's real cause",
        }
        reader = TaskLogReader()
        for ti in run.get_task_instances(session=session):
            if ti.task_id not in expected:
                continue
            # The api-server's own reader (behind the UI's log page) finds the file and text.
            stream, _ = reader.read_log_chunks(ti, ti.try_number, {})
            text = "\n".join(str(getattr(m, "event", m)) for m in stream)
            assert expected[ti.task_id] in text, (ti.task_id, text[-2000:])
            assert "Log file not found" not in text


def test_under_a_terminal_only_progress_shows_and_the_log_file_holds_everything(
    settings,
) -> None:
    ensure_airflow_db(settings)
    code, screen = _run_probe_in_pty()

    assert code == 1, screen[-3000:]
    assert "runner_probe › say_hello success" in screen
    assert "runner_probe › fail_loudly failed" in screen
    assert "ValueError: the probe's real cause" in screen
    assert "[info" not in screen and "Traceback" not in screen
    log_path = Path(re.search(r"Airflow and dbt output: (\S+\.log)", screen)[1])
    full = log_path.read_text()
    assert "hello from the probe task" in full and "Traceback (most recent call last)" in full


def test_failure_cause_is_the_exception_of_the_last_traceback(tmp_path: Path) -> None:
    log = tmp_path / "attempt=1.log"
    log.write_text(
        "2025-01-01T00:00:00Z [info     ] starting\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "    boom()\n"
        "ConnectionError: sandbox unreachable at 127.0.0.1:9\n"
        "run `mdp sandbox up` first\n"
        "2025-01-01T00:00:01Z [info     ] Marking task as FAILED\n"
    )
    assert failure_cause(log) == [
        "ConnectionError: sandbox unreachable at 127.0.0.1:9",
        "run `mdp sandbox up` first",
    ]
