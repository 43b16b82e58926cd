"""`mdp sql`: run SQL on the serving copy, one statement or an interactive shell."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from mdp.errors import MdpError
from mdp.settings import Settings
from mdp.warehouse.serving import connect_serving, serving_file

#: Rows printed per result; the count of the rest is said below the table.
MAX_ROWS = 1000
PROMPT, MORE = "mdp> ", "  -> "
QUIT = {".quit", ".exit", "\\q", "quit", "exit"}
TABLES_SQL = (
    "select table_schema || '.' || table_name as table_name, table_type "
    "from information_schema.tables "
    "where table_schema not in ('information_schema', 'pg_catalog') order by 1"
)


class QueryError(MdpError):
    """A statement the warehouse refused (syntax, unknown table, a write on the read-only
    copy)."""


@dataclass(frozen=True)
class Result:
    """A statement's columns and its first rows; `total` counts every row."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    total: int


def one_line(error: BaseException) -> str:
    """DuckDB's message up to its first blank line (the caret under the SQL comes after), as
    one line."""
    head = str(error).strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in head.splitlines() if line.strip())


def execute(settings: Settings, statement: str, limit: int = MAX_ROWS) -> Result:
    """Run one statement on a fresh read-only connection (so it sees the latest publication)."""
    con = connect_serving(settings)
    try:
        cursor = con.execute(statement)
        if cursor.description is None:
            return Result([], [], 0)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchmany(limit)
        rest = 0
        while chunk := cursor.fetchmany(10_000):
            rest += len(chunk)
        return Result(columns, rows, len(rows) + rest)
    except duckdb.Error as error:
        raise QueryError(f"query failed: {one_line(error)}") from error
    finally:
        con.close()


def render(result: Result, console: Console) -> None:
    """The rows as a table and how many there are."""
    if not result.columns:
        console.print("OK")
        return
    table = Table(*result.columns, show_edge=False, pad_edge=False)
    for row in result.rows:
        table.add_row(*("NULL" if value is None else str(value) for value in row))
    console.print(table)
    shown = "" if result.total <= len(result.rows) else f", the first {len(result.rows):,} shown"
    console.print(f"({result.total:,} row{'s' if result.total != 1 else ''}{shown})")


def _enable_line_editing() -> None:
    """Arrow keys and history for input(); the module is absent on some platforms."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401


def run_shell(settings: Settings, console: Console, read: Callable[[str], str] = input) -> None:
    """Read statements (ended by `;`) until `.quit` or end of input; an error is one line and
    the shell goes on."""
    connect_serving(settings).close()  # a missing copy stops here, before the first prompt
    if read is input:
        _enable_line_editing()
    console.print(
        f"SQL on the serving copy {serving_file(settings)} (read-only, refreshed after each "
        "pipeline stage). End statements with ;  .tables lists tables, .quit leaves."
    )
    buffer: list[str] = []
    while True:
        try:
            line = read(MORE if buffer else PROMPT)
        except EOFError:
            console.print()
            return
        except KeyboardInterrupt:  # Ctrl-C drops the statement being typed, as psql does
            buffer.clear()
            console.print()
            continue
        command = line.strip()
        if not buffer and command.lower() in QUIT:
            return
        if not buffer and command == ".tables":
            command = TABLES_SQL + ";"
        if not command:
            continue
        buffer.append(command)
        if command.endswith(";"):
            statement, buffer = "\n".join(buffer), []
            try:
                render(execute(settings, statement), console)
            except QueryError as error:
                console.print(f"[bold red]error:[/] {error}", highlight=False)
