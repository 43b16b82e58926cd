"""Running the pipeline's stages through Airflow, and the demo's closing summary."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from mdp.errors import PipelineError
from mdp.pipeline import Stage, select_stages
from mdp.runtime.airflow_env import DAGS_FOLDER
from mdp.runtime.capture import output_to_file
from mdp.runtime.dag_runner import DagRunSummary, TaskEvent, run_dags
from mdp.runtime.setup import ensure_airflow_db, ensure_dbt_manifest
from mdp.settings import Settings, WarehouseKind
from mdp.warehouse import get_warehouse
from mdp.warehouse.serving import publish, serving_file

SUMMARY_SCHEMAS = ("raw", "staging", "marts", "scores", "activation")


def prepare(settings: Settings, console: Console) -> None:
    """Airflow metadata DB and dbt manifest, each only when missing or stale."""
    with console.status("preparing Airflow and dbt …"):
        if ensure_airflow_db(settings):
            console.print(f"Airflow metadata DB created under {settings.airflow_home}")
        if ensure_dbt_manifest(settings):
            console.print("dbt project parsed (manifest for Cosmos)")


def run_pipeline(
    settings: Settings,
    window: Mapping[str, str],
    only: str | None,
    start_from: str | None,
    console: Console,
    verbose: bool = False,
) -> list[DagRunSummary]:
    """Run the selected stages' DAGs in order through Airflow with the window as params."""
    stages = select_stages(only, start_from)
    prepare(settings, console)
    return run_stages(settings, stages, window, console, verbose)


_MARKS = {"success": "[green]✓[/]", "skipped": "[yellow]–[/]", "failed": "[red]✗[/]"}


def run_stages(
    settings: Settings,
    stages: Sequence[Stage],
    window: Mapping[str, str],
    console: Console,
    verbose: bool = False,
    dags_folder: Path = DAGS_FOLDER,
) -> list[DagRunSummary]:
    """Run stages' DAGs in order, showing one line per task on the terminal.

    Airflow's and dbt's own output goes to a log file under <home>/logs (named at the start
    and on failure), each task's also to its Airflow task log; `verbose` shows it as well."""
    log_path = settings.home / "logs" / f"run-{datetime.now():%Y%m%dT%H%M%S}.log"
    console.print(f"Airflow and dbt output: {log_path}")
    summaries: list[DagRunSummary] = []
    with output_to_file(log_path, echo=verbose) as terminal:
        screen = Console(file=terminal, force_terminal=console.is_terminal, highlight=False)
        for stage in stages:
            with screen.status(f"stage {stage.name}: {stage.description} …") as status:

                def progress(event: TaskEvent, stage: Stage = stage, status: Any = status) -> None:
                    where = f"{event.dag_id} › {event.task_id}"
                    if event.state is None:
                        status.update(f"stage {stage.name}: {where} …")
                        return
                    mark = _MARKS.get(event.state, "[red]✗[/]")
                    screen.print(f"  {mark} {where} {event.state} ({event.seconds:.1f}s)")

                try:
                    summaries += run_dags(
                        settings,
                        stage.dag_ids,
                        conf=dict(window),
                        progress=progress,
                        dags_folder=dags_folder,
                    )
                except PipelineError as error:
                    raise PipelineError(f"{error}\nfull log: {log_path}") from None
                publish(settings)  # readers (BI tools, `mdp sql`) see the stage's output
            screen.print(f"[green]✓[/] stage {stage.name}: {', '.join(stage.dag_ids)}")
    return summaries


def table_counts(settings: Settings) -> list[tuple[str, int]]:
    """Every table in the platform's schemas with its row count."""
    counts: list[tuple[str, int]] = []
    with get_warehouse(settings) as warehouse:
        for schema in SUMMARY_SCHEMAS:
            for name in warehouse.list_tables(schema):
                result = warehouse.query(f"select count(*) as n from {schema}.{name}")
                counts.append((f"{schema}.{name}", int(result.column("n")[0].as_py())))
    return counts


def crm_summary(settings: Settings, console: Console) -> None:
    """What the CRMs hold from mdp after the run, per object, and how the last syncs went."""
    from activation.crm.state import holdings, last_runs

    with get_warehouse(settings) as warehouse:
        held, runs = holdings(warehouse), last_runs(warehouse)
        leads = warehouse.qualified_name("scores.lead_scores")
        tiers = (
            warehouse.query(
                f"select tier, count(*) as n from {leads} where feature_snapshot_date ="
                f" (select max(feature_snapshot_date) from {leads}) group by tier"
            ).to_pylist()
            if warehouse.table_exists("scores.lead_scores")
            else []
        )
    if not held and not runs:
        return
    table = Table("CRM", "object", "records holding mdp's values", title="Scores in the CRMs")
    for row in held:
        table.add_row(
            str(row["target"]), f"{row['crm_object']} ({row['object']})", f"{row['records']:,}"
        )
    console.print(table)
    if tiers:
        shown = ", ".join(
            f"{r['n']:,} {r['tier']}" for r in sorted(tiers, key=lambda r: r["tier"] != "Hot")
        )
        console.print(f"  open leads scored: {shown}")
    for run in runs:
        console.print(
            f"  last {run['target']} sync: {run['status']}, {run['sent']:,} sent, "
            f"{run['failed']:,} failed (error rate {float(str(run['error_rate'] or 0)):.1%})"
        )


def contracts_summary(settings: Settings, console: Console) -> None:
    """What the data contracts caught: records quarantined per raw table, schema changes."""
    from ingestion.common.contracts import CHANGES_TABLE

    def rows(warehouse: Any, table: str) -> int:
        name = warehouse.qualified_name(table)
        return int(warehouse.query(f"select count(*) as n from {name}")["n"][0].as_py())

    with get_warehouse(settings) as warehouse:
        held = [
            (name, rows(warehouse, f"quarantine.{name}"))
            for name in warehouse.list_tables("quarantine")
        ]
        changes = rows(warehouse, CHANGES_TABLE) if warehouse.table_exists(CHANGES_TABLE) else 0
    quarantined = sum(n for _, n in held)
    where = ", ".join(f"quarantine.{name} {n:,}" for name, n in held if n)
    console.print(
        f"  data contracts: {quarantined:,} record(s) quarantined"
        + (f" ({where})" if where else "")
        + f", {changes:,} source schema change(s) in mdp_meta.schema_changes"
    )


#: mdp_meta.state key: which sandbox run the demo's warehouse holds the data of.
DEMO_SANDBOX_KEY = "demo.sandbox"


def demo_warehouse(settings: Settings, sandbox: Mapping[str, Any], console: Console) -> None:
    """Start the demo from an empty DuckDB warehouse when the sandbox is not the one the
    warehouse was filled from: another world (scale, seed or generator version) would mix two
    worlds' rows, and a restarted sandbox's CRMs are empty while the warehouse remembers what
    it synced. The previous file is kept as warehouse.duckdb.previous."""
    if settings.warehouse is not WarehouseKind.DUCKDB:
        return
    world = sandbox.get("world", {})
    identity = f"{Path(str(world.get('path', ''))).name}@{sandbox.get('started_at', '')}"
    path = settings.duckdb_file
    if path.exists():
        with get_warehouse(settings) as warehouse:
            seen = warehouse.get_state(DEMO_SANDBOX_KEY)
        if seen == identity:
            return
        kept = path.with_name(path.name + ".previous")
        os.replace(path, kept)
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        console.print(
            f"the sandbox ({world.get('scale')} world, seed {world.get('seed')}) is not the one "
            f"{path.name} was filled from: starting from an empty warehouse (the old one is "
            f"{kept.name})"
        )
    with get_warehouse(settings) as warehouse:
        warehouse.set_state(DEMO_SANDBOX_KEY, identity)


def demo_summary(settings: Settings, console: Console, seconds: float) -> None:
    """What the demo built and where to look at it."""
    table = Table("table", "rows", title="What the demo built")
    for name, rows in table_counts(settings):
        table.add_row(name, f"{rows:,}")
    console.print(table)
    contracts_summary(settings, console)
    crm_summary(settings, console)
    where: list[tuple[str, Any]] = [
        ("Airflow UI (runs, logs)", "make airflow  → http://127.0.0.1:8080"),
        ("SQL on the warehouse", 'mdp sql  (or mdp sql -c "select …")'),
        ("BI tools (read-only copy)", serving_file(settings)),
        ("dbt docs", "make docs  → http://127.0.0.1:8081"),
        ("MLflow UI", "make mlflow-ui  → http://127.0.0.1:5000"),
        ("Weekly report (HTML, PDF)", settings.home / "reports"),
        ("Sandbox (still running)", "mdp sandbox status | mdp sandbox down"),
    ]
    for label, value in where:
        console.print(f"  {label:<26} {value}")
    console.print(f"demo finished in {seconds:.0f}s")
