"""The `mdp` command line: demo, run, sandbox, doctor and one command per stage."""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from mdp.errors import ConfigError, MdpError
from mdp.logging import configure_logging, redact
from mdp.pipeline import SOURCES
from mdp.settings import get_settings

app = typer.Typer(
    help="mdp: marketing data platform. Start with `mdp demo`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
sandbox_app = typer.Typer(help="The simulated world and its API emulators (demo and tests).")
app.add_typer(sandbox_app, name="sandbox")
state_app = typer.Typer(
    help="Ingestion cursors: where each stream's next run starts.", no_args_is_help=True
)
app.add_typer(state_app, name="state")
console = Console()
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}

DateOption = Annotated[date | None, typer.Option(formats=["%Y-%m-%d"])]


def _window(day: date | None, start: date | None, end: date | None) -> dict[str, str]:
    """Run params from --date or --start/--end (a backfill)."""
    if day and (start or end):
        raise ConfigError("use either --date or --start/--end, not both")
    first, last = (day, day) if day else (start, end or start)
    if first is None:
        return {}
    if last is None or last < first:
        raise ConfigError(f"--end ({last}) must not be before --start ({first})")
    return {"start": first.isoformat(), "end": last.isoformat()}


@sandbox_app.command("up")
def sandbox_up(
    scale: Annotated[str, typer.Option(help="tiny, small, medium or large")] = "small",
    seed: Annotated[int, typer.Option(help="World seed (same seed, same world)")] = 42,
    faults: Annotated[float, typer.Option(help="Share of API calls answered with faults")] = 0.0,
) -> None:
    """Generate the world (cached) and start the emulators in the background."""
    from mdp.runtime import sandbox_process

    with console.status("starting the sandbox …") as status:
        state = sandbox_process.start(
            get_settings(),
            scale,
            seed,
            faults,
            progress=lambda s: status.update(f"sandbox: {s} …"),
        )
    _print_sandbox(state)


@sandbox_app.command("down")
def sandbox_down() -> None:
    """Stop the sandbox."""
    from mdp.runtime import sandbox_process

    stopped = sandbox_process.stop(get_settings())
    console.print("sandbox stopped" if stopped else "sandbox was not running")


@sandbox_app.command("status")
def sandbox_status() -> None:
    """Show whether the sandbox runs, its world and its endpoints."""
    from mdp.runtime import sandbox_process

    state = sandbox_process.read_state(get_settings())
    if state is None:
        console.print("sandbox: not running (start it with `mdp sandbox up`)")
        raise typer.Exit(1)
    _print_sandbox(state)


def _print_sandbox(state: dict[str, Any]) -> None:
    world = state.get("world", {})
    console.print(
        f"sandbox [bold]{state.get('status')}[/] pid {state.get('pid')}: world "
        f"{world.get('scale')} seed {world.get('seed')} {world.get('start')}…{world.get('end')}"
    )
    table = Table("service", "endpoint")
    for name, endpoint in sorted(state.get("endpoints", {}).items()):
        table.add_row(name, str(endpoint))
    console.print(table)


@state_app.command("show")
def state_show(
    source: Annotated[str | None, typer.Argument(help=", ".join(SOURCES))] = None,
) -> None:
    """Show each stream's cursor (where its next incremental run starts) and when it was set."""
    from mdp.runtime.cursors import list_cursors
    from mdp.warehouse import get_warehouse

    with get_warehouse(get_settings()) as warehouse:
        cursors = list_cursors(warehouse, source)
    if not cursors:
        console.print(
            f"no cursor stored for {source} yet: its next run is a first sync"
            if source
            else "no ingestion cursor stored yet: each source's next run is a first sync"
        )
        return
    # names and values are copied into commands: never cut one (no outer edge leaves room)
    table = Table(title="Ingestion cursors", show_edge=False, pad_edge=False)
    for header, values in (
        ("source", [c.source for c in cursors]),
        ("stream", [c.stream for c in cursors]),
        ("cursor", [c.value for c in cursors]),
    ):
        table.add_column(header, no_wrap=True, min_width=max(len(v) for v in values))
    table.add_column("updated (UTC)", no_wrap=True)
    for cursor in cursors:
        updated = f"{cursor.updated_at:%Y-%m-%d %H:%M}" if cursor.updated_at else "-"
        table.add_row(cursor.source, cursor.stream, cursor.value, updated)
    console.print(table)
    console.print("To restart a stream as a first sync: mdp state reset SOURCE STREAM")


@state_app.command("reset")
def state_reset(
    source: Annotated[str, typer.Argument(help=", ".join(SOURCES))],
    stream: Annotated[str, typer.Argument(help="A stream `mdp state show SOURCE` lists")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Reset without asking")] = False,
) -> None:
    """Delete a stream's cursor so its next run starts as a first sync (no data is deleted)."""
    from mdp.runtime.cursors import find_cursor, next_run, reset_cursor
    from mdp.warehouse import get_warehouse

    settings = get_settings()
    with get_warehouse(settings) as warehouse:  # closed while asking: the file stays free
        cursor = find_cursor(warehouse, source, stream)
    console.print(f"{cursor.key} is {cursor.value}; without it, {next_run(cursor)}.")
    if not yes and not typer.confirm("Reset this cursor?", default=False):
        console.print("cursor kept; nothing changed")
        raise typer.Exit(1)
    with get_warehouse(settings) as warehouse:
        reset_cursor(warehouse, cursor)
    console.print(f"cursor {cursor.key} reset (it was {cursor.value})")


@app.command()
def status() -> None:
    """Per raw table: last load, freshness, rows, records quarantined and windows refused."""
    from datetime import UTC, datetime

    from mdp.runtime.status import print_status, table_statuses
    from mdp.warehouse import get_warehouse

    with get_warehouse(get_settings()) as warehouse:
        statuses = table_statuses(warehouse)
    print_status(statuses, console, datetime.now(UTC).date())


@app.command()
def run(
    only: Annotated[str | None, typer.Option(help="Run just this stage")] = None,
    start_from: Annotated[str | None, typer.Option("--from", help="Run from this stage on")] = None,
    day: Annotated[date | None, typer.Option("--date", formats=["%Y-%m-%d"])] = None,
    start: DateOption = None,
    end: DateOption = None,
    verbose: Annotated[bool, typer.Option(help="Show Airflow and dbt output")] = False,
) -> None:
    """Run the pipeline (or some stages) through Airflow, for a day or a backfill range."""
    from mdp.runtime.pipeline_run import run_pipeline

    window = _window(day, start, end)
    summaries = run_pipeline(get_settings(), window, only, start_from, console, verbose)
    _print_runs(summaries)


def _print_runs(summaries: list[Any]) -> None:
    table = Table("DAG", "state", "tasks", "skipped", "seconds", title="Airflow runs")
    for s in summaries:
        skipped = sorted(task for task, state in s.tasks.items() if state == "skipped")
        table.add_row(
            s.dag_id, s.state, str(len(s.tasks)), ", ".join(skipped) or "-", f"{s.seconds:.1f}"
        )
    console.print(table)


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="World size: tiny, small, medium, large")] = "small",
    seed: Annotated[int, typer.Option(help="World seed")] = 42,
    verbose: Annotated[bool, typer.Option(help="Show Airflow and dbt output")] = False,
) -> None:
    """Set up, start the sandbox and run the whole pipeline through Airflow; print a summary."""
    from mdp.runtime import sandbox_process
    from mdp.runtime.pipeline_run import demo_summary, demo_warehouse, prepare, run_pipeline

    settings = get_settings()
    started = time.monotonic()
    prepare(settings, console)
    with console.status("starting the sandbox …") as status:
        state = sandbox_process.start(
            settings,
            scale,
            seed,
            0.0,
            progress=lambda s: status.update(f"sandbox: {s} …"),
            replace=True,
        )
    demo_warehouse(settings, state, console)
    world = state["world"]
    window = {"start": world["start"], "end": world["end"]}
    summaries = run_pipeline(settings, window, None, None, console, verbose)
    _print_runs(summaries)
    demo_summary(settings, console, time.monotonic() - started)


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help=", ".join(SOURCES))],
    start: DateOption = None,
    end: DateOption = None,
) -> None:
    """Load one source into the raw layer without Airflow (the same code the DAG runs)."""
    import importlib

    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}; sources: {', '.join(SOURCES)}")
    _use_airflow(get_settings())
    connector = importlib.import_module(f"ingestion.{source}")
    result = connector.ingest(_window(None, start, end), None, f"cli__{int(time.time())}")
    console.print(result)


@app.command()
def transform(
    select: Annotated[str | None, typer.Option(help="dbt selector, e.g. marts.web")] = None,
) -> None:
    """`dbt build` the project (models and tests) without Airflow."""
    from mdp.runtime.dbt import run_dbt
    from mdp.warehouse.serving import publish

    settings = get_settings()
    args = ["build"] + (["--select", select] if select else [])
    code = run_dbt(settings, args)
    publish(settings)  # readers see what was built, even when a model or test failed
    raise typer.Exit(code)


@app.command("sql")
def sql_shell(
    command: Annotated[
        str | None, typer.Option("--command", "-c", help="Run this SQL, print the result, exit")
    ] = None,
) -> None:
    """SQL on the serving copy (read-only; the pipeline refreshes it after each stage): an
    interactive shell, or one statement with -c. Never blocks a pipeline run."""
    from mdp.settings import WarehouseKind
    from mdp.warehouse.shell import execute, render, run_shell

    settings = get_settings()
    if settings.warehouse is not WarehouseKind.DUCKDB:
        raise ConfigError(
            "mdp sql reads the DuckDB serving copy; on BigQuery query the datasets directly "
            "(BigQuery console, `bq query`)"
        )
    if command is None:
        run_shell(settings, console)
        return
    render(execute(settings, command), console)


ModelArgument = Annotated[
    str | None, typer.Argument(help="One catalogue model (default: all), e.g. lead_scoring")
]
SnapshotOption = Annotated[
    date | None,
    typer.Option(formats=["%Y-%m-%d"], help="Feature snapshot day (default: latest in the marts)"),
]


def _training_row(result: Any) -> tuple[str, str, str, str, str]:
    """A classifier's evaluation and promotion, a skipped model's reason, or another model's
    summary and MLflow run."""
    if hasattr(result, "reason") and not hasattr(result, "promotion"):
        return (result.registered_name, "-", "skipped", "-", result.reason)
    promotion = getattr(result, "promotion", None)
    if promotion is None:
        return (result.registered_name, result.version, result.summary, "-", result.run_id)
    return (
        result.registered_name,
        result.version,
        f"ROC-AUC {result.metrics['roc_auc']:.3f}, ECE {result.metrics['ece']:.3f}",
        "champion" if promotion.promoted else "challenger",
        promotion.reason,
    )


@app.command()
def train(model: ModelArgument = None, snapshot: SnapshotOption = None) -> None:
    """Train models on the marts, log them to MLflow, register them and apply promotion.
    A model whose data is too thin is skipped with the reason; the others still train."""
    from ml.catalog import select
    from ml.common.errors import NotEnoughDataError

    settings = get_settings()
    table = Table("model", "version", "result", "alias", "why", title="Training runs")
    for entry in select(model):
        with console.status(f"training {entry.name} …"):
            try:
                results = entry.run_train(settings, snapshot)
            except NotEnoughDataError as error:
                table.add_row(entry.name, "-", "skipped", "-", str(error))
                continue
        for r in results:
            table.add_row(*_training_row(r))
    console.print(table)
    console.print(f"MLflow: {settings.mlflow_uri} (browse with `make mlflow-ui`)")


@app.command()
def score(model: ModelArgument = None, snapshot: SnapshotOption = None) -> None:
    """Score with each model (its champion, or its latest training run) into its `scores` table.
    A model (or churn horizon) with no champion or training run is skipped with the reason."""
    from ml.catalog import select
    from ml.common.errors import NoChampionError, NotEnoughDataError, NoTrainingRunError

    settings = get_settings()
    table = Table("model", "table", "rows", "note", title="Score tables")
    for entry in select(model):
        with console.status(f"scoring {entry.name} …"):
            try:
                loads = entry.run_score(settings, snapshot)
            except (NoChampionError, NoTrainingRunError, NotEnoughDataError) as error:
                table.add_row(entry.name, entry.score_table, "0", f"skipped: {error}")
                continue
        for load in loads:
            note = f"skipped: {load.reason}" if hasattr(load, "reason") else ""
            table.add_row(entry.name, load.table, f"{load.rows:,}", note)
    console.print(table)


@app.command()
def sync(
    target: Annotated[str, typer.Argument(help="salesforce or hubspot")],
    dry_run: Annotated[
        bool, typer.Option(help="Show and store the whole diff; write nothing to the CRM")
    ] = False,
    force: Annotated[bool, typer.Option(help="Go on although the guardrail trips")] = False,
    output: Annotated[
        Path | None, typer.Option(help="Also write the whole diff to this CSV file")
    ] = None,
    sample: Annotated[int, typer.Option(help="Records per object shown before → after")] = 5,
) -> None:
    """Sync the score tables to a CRM (only changed records; see activation/crm/mapping.yml and
    the field sheet activation/crm/FIELDS.md)."""
    from activation.crm import run_sync
    from activation.crm.errors import GuardrailError

    settings = get_settings()
    _use_airflow(settings)  # the CRM connections resolve through Airflow, as in the DAG
    try:
        with console.status(f"syncing scores to {target} …"):
            result = run_sync(settings, target, dry_run=dry_run, force=force)
    except GuardrailError as error:
        if error.result is not None:  # what would have changed, so the trip can be judged
            _print_diff(error.result, sample, output)
        raise
    if dry_run:
        _print_diff(result, sample, output)
    console.print(
        f"{target} sync {result.run_id}: {result.status}; {result.in_scope:,} records in scope, "
        f"{result.changed:,} changed, {result.left:,} cleared, {result.retried:,} retried, "
        f"{result.sent:,} sent, {result.failed:,} failed, {result.skipped:,} not in the CRM "
        f"({result.seconds:.1f}s)"
    )
    if dry_run:
        console.print(
            f"dry run: nothing was written to {target}; the diff is in activation.sync_diffs "
            f"(run_id '{result.run_id}')"
        )


def _print_diff(result: Any, sample: int, output: Path | None) -> None:
    from activation.crm import render

    console.print(render.objects_table(result))
    if result.diffs:
        console.print(render.fields_table(result))
        console.print(render.sample_table(result, sample))
    if output is not None:
        rows = render.write_diff(result, output)
        console.print(f"whole diff: {output} ({rows:,} field changes)")


@app.command()
def alerts(
    day: Annotated[date | None, typer.Option("--date", formats=["%Y-%m-%d"])] = None,
    dry_run: Annotated[bool, typer.Option(help="Evaluate and record, send nothing")] = False,
) -> None:
    """Evaluate the alert rules and anomaly checks, record them, send the new ones once."""
    from activation.alerts import run_alerts

    settings = get_settings()
    _use_airflow(settings)  # Slack and SMTP connections resolve through Airflow
    result = run_alerts(settings, day, notify=not dry_run)
    table = Table(
        "severity", "rule", "entity", "actual", "expected", title=f"Alerts {result.as_of}"
    )
    for alert in result.alerts:
        table.add_row(alert.severity, alert.rule, alert.entity, alert.actual, alert.expected)
    console.print(table)
    console.print(
        f"{result.opened} new, {result.held} still open, {result.resolved} resolved; "
        f"{result.notified} sent" + (" (and e-mailed)" if result.emailed else "")
    )


@app.command()
def experiments(
    all_events: Annotated[
        bool, typer.Option("--all-events", help="Every conversion event, not only primary ones")
    ] = False,
) -> None:
    """Analyse the A/B tests (lift, CI, MDE, SRM, verdict) into activation.experiment_results."""
    from activation.experiments import run
    from activation.experiments.render import results_table

    results = run(get_settings())
    if not results.num_rows:
        console.print("no experiments in marts.fct_experiment_results")
        return
    console.print(results_table(results, primary_only=not all_events))


@app.command()
def report(
    week: Annotated[
        date | None,
        typer.Option(formats=["%Y-%m-%d"], help="Any day of the week to report (default: latest)"),
    ] = None,
    email: Annotated[bool, typer.Option(help="Email it via the Airflow SMTP connection")] = False,
) -> None:
    """Build the weekly report (self-contained HTML + PDF) under <home>/reports."""
    from activation.report import build_report, email_report

    settings = get_settings()
    with console.status("building the weekly report …"):
        built = build_report(settings, week)
    console.print(f"HTML: {built.html}\nPDF:  {built.pdf}")
    for section, state in built.sections.items():
        console.print(f"  {section}: {state}")
    if email:
        console.print(email_report(settings, built))


@app.command(context_settings=PASSTHROUGH)
def dbt(ctx: typer.Context) -> None:
    """Any dbt command with mdp's profile and target, e.g. `mdp dbt docs generate`."""
    from mdp.runtime.dbt import run_dbt

    raise typer.Exit(run_dbt(get_settings(), list(ctx.args)))


@app.command(context_settings=PASSTHROUGH)
def airflow(ctx: typer.Context) -> None:
    """Any airflow command against the local set-up, e.g. `mdp airflow standalone`."""
    from mdp.runtime.airflow_env import airflow_env
    from mdp.runtime.executables import executable

    env = {**os.environ, **airflow_env(get_settings())}
    tool = executable("airflow")
    os.execve(tool, [tool, *ctx.args], env)


@app.command(context_settings=PASSTHROUGH)
def mlflow(ctx: typer.Context) -> None:
    """Any mlflow command against mdp's tracking store, e.g. `mdp mlflow ui`."""
    from mdp.runtime.executables import executable

    settings = get_settings()
    uri = settings.mlflow_uri
    args = list(ctx.args)
    if args[:1] in (["ui"], ["server"]) and "--backend-store-uri" not in args:
        args += ["--backend-store-uri", uri]
    (settings.home / "mlflow").mkdir(parents=True, exist_ok=True)
    tool = executable("mlflow")
    os.execve(tool, [tool, *args], {**os.environ, "MLFLOW_TRACKING_URI": uri})


@app.command()
def setup() -> None:
    """Prepare local state: Airflow metadata DB (SQLite) and the dbt manifest."""
    from mdp.runtime.pipeline_run import prepare

    prepare(get_settings(), console)


@app.command()
def doctor() -> None:
    """Show the effective configuration (secrets redacted) and check every dependency."""
    from mdp.runtime.doctor import missing_connections, run_checks

    settings = get_settings()
    ok = run_checks(settings, console)
    missing = missing_connections(settings)
    errors = Console(stderr=True, soft_wrap=True)
    for line in missing:  # a configuration error: one line each, exit 2 (ConfigError's code)
        errors.print(f"[bold red]error:[/] {line}", highlight=False)
    raise typer.Exit(ConfigError.exit_code if missing else (0 if ok else 1))


def user_error_behind(error: BaseException) -> MdpError | None:
    """The user-caused error that `error` happened while handling, if any: a clean-up step
    (e.g. publishing docs in a `finally`) can fail for the same cause, such as a full disk."""
    seen: set[int] = set()
    context = error.__context__
    while context is not None and id(context) not in seen:
        if isinstance(context, MdpError):
            return context
        seen.add(id(context))
        context = context.__context__
    return None


def _use_airflow(settings: Any) -> None:
    """Point this process at mdp's Airflow (connections resolve through it, as in the DAGs).
    Importing Airflow replaces the root log handlers with its own (INFO, to stdout): put the
    CLI's back, so a command prints its result and warnings, not every library's INFO lines."""
    from mdp.runtime.airflow_env import apply_airflow_env

    apply_airflow_env(settings)
    import airflow.sdk  # noqa: F401 - configures Airflow's logging once, now

    configure_logging(os.environ.get("MDP_LOG_LEVEL", "WARNING"))


def main() -> None:
    """Entry point: user errors print one line (no traceback) and exit non-zero."""
    configure_logging(os.environ.get("MDP_LOG_LEVEL", "WARNING"))
    try:
        app()  # standalone: usage errors print click's one-line message and exit 2
    except MdpError as error:
        _exit_with(error, str(error))
    except Exception as error:
        cause = user_error_behind(error)
        if cause is None:
            raise  # a bug: the traceback is what a developer needs
        _exit_with(cause, f"{cause} (a later step failed too: {type(error).__name__}: {error})")


def _exit_with(error: MdpError, message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(
        f"[bold red]error:[/] {redact(message)}", highlight=False
    )
    sys.exit(error.exit_code)


if __name__ == "__main__":
    main()
