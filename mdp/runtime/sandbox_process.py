"""Start and stop the sandbox (simulated world + API emulators) as a background process.

Production code never imports `sandbox`; it is launched as `python -m sandbox` and talks to
mdp only through the state file it writes (endpoints, connections, pids).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mdp import PROJECT_ROOT
from mdp.errors import MdpError
from mdp.runtime.airflow_env import sandbox_state_path
from mdp.settings import Settings

START_TIMEOUT_S = 900


class SandboxError(MdpError):
    """The sandbox did not start, or is not running when it should be."""


def read_state(settings: Settings) -> dict[str, Any] | None:
    """The running sandbox's state, or None when it is not running."""
    path = sandbox_state_path(settings)
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    if not _alive(int(state.get("pid", 0))):
        path.unlink(missing_ok=True)
        return None
    return state


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start(
    settings: Settings,
    scale: str,
    seed: int,
    faults: float,
    progress: Any = None,
    *,
    replace: bool = False,
) -> dict[str, Any]:
    """Launch `python -m sandbox serve` detached and wait until it reports ready. A sandbox
    already running the same world (and faults) is reused; one running another is an error,
    or is stopped first with `replace`."""
    running = read_state(settings)
    if running:
        world = running.get("world", {})
        same = (world.get("scale"), world.get("seed"), float(running.get("faults", 0.0))) == (
            scale,
            seed,
            float(faults),
        )
        if same:
            return running
        if not replace:
            raise SandboxError(
                f"the sandbox already runs world {world.get('scale')} seed {world.get('seed')} "
                f"(faults {running.get('faults', 0.0)}); stop it first: mdp sandbox down"
            )
        stop(settings)
    path = sandbox_state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    log_path = path.parent / "sandbox.log"
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--home",
        str(path.parent),
        "--scale",
        scale,
        "--seed",
        str(seed),
        "--faults",
        str(faults),
        "--state-file",
        str(path),
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return _wait_ready(settings, process, log_path, progress)


def _wait_ready(
    settings: Settings, process: subprocess.Popen[bytes], log_path: Path, progress: Any
) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:]
            raise SandboxError(
                f"sandbox exited with code {process.returncode}: {''.join(tail)} (log: {log_path})"
            )
        state = read_state(settings)
        if state and state.get("status") == "ready":
            return state
        if progress is not None and state:
            progress(state.get("status", "starting"))
        time.sleep(0.5)
    process.terminate()
    raise SandboxError(f"sandbox did not become ready in {START_TIMEOUT_S}s (log: {log_path})")


def stop(settings: Settings) -> bool:
    """Stop the sandbox; False when none was running."""
    state = read_state(settings)
    if state is None:
        return False
    pid = int(state["pid"])
    os.killpg(os.getpgid(pid), signal.SIGTERM)
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    sandbox_state_path(settings).unlink(missing_ok=True)
    return True
