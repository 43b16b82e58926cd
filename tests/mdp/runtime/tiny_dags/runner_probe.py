"""A three-task DAG for the runner's tests: one task succeeds, one skips, one fails."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task


@dag(schedule="@daily", start_date=datetime(2025, 1, 1), catchup=False, tags=["test"])
def runner_probe() -> None:
    """Logs a line, skips with a reason, fails with a cause."""

    @task
    def say_hello() -> int:
        import logging

        logging.getLogger("mdp.probe").info("hello from the probe task")
        print("a line printed by the probe task")
        return 1

    @task
    def skip_politely(_: int) -> None:
        from airflow.exceptions import AirflowSkipException

        raise AirflowSkipException("nothing to sync: no scored rows")

    @task
    def fail_loudly(_: int) -> None:
        raise ValueError("the probe's real cause\nsecond line of the cause")

    @task
    def after_failure(_: None) -> None:
        """Never runs: its upstream fails."""

    hello = say_hello()
    skip_politely(hello)
    after_failure(fail_loudly(hello))


runner_probe()
