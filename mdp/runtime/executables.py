"""Find the command-line tools of the locked environment (airflow, dbt, mlflow)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def executable(name: str) -> str:
    """The tool next to this interpreter (the project's .venv), else the one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)
