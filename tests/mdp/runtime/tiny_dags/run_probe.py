"""Run the probe DAG as `mdp run` runs a stage, in its own process (as the CLI does): with
Airflow's output on the real file descriptors, not pytest's capture. Exit 1 on failure."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from mdp.errors import PipelineError
from mdp.pipeline import Stage
from mdp.runtime import airflow_env
from mdp.runtime.pipeline_run import run_stages
from mdp.settings import get_settings

PROBE_DAGS = Path(__file__).parent


def main() -> int:
    airflow_env.DAGS_FOLDER = PROBE_DAGS  # Airflow's dags folder for this process
    window = {"start": "2025-03-01", "end": "2025-03-03"}
    stage = Stage("probe", ("runner_probe",), "a DAG that succeeds, skips and fails")
    try:
        run_stages(get_settings(), [stage], window, Console(), dags_folder=PROBE_DAGS)
    except PipelineError as error:
        Console(stderr=True).print(f"error: {error}", highlight=False)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
