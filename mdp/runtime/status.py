"""What `mdp status` shows per raw table: last load, freshness, rows, quarantine and refusals.

It reads `mdp_meta.loads` (one row per window loaded or refused, written by
ingestion/common/loader.py), the stream cursors in `mdp_meta.state` and the raw tables' row
counts, through the Warehouse interface only: the same SQL runs on DuckDB and BigQuery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from mdp.pipeline import SOURCES
from mdp.runtime.cursors import list_cursors
from mdp.warehouse import Warehouse
from mdp.warehouse.sql import BIGQUERY, string_literal

LOADS_TABLE = "mdp_meta.loads"
#: How far back quarantined records and refused windows are counted.
RECENT = timedelta(days=7)


@dataclass(frozen=True)
class RefusedWindow:
    """A window refused in the recent past and not loaded since."""

    first: date
    last: date
    reason: str
    at: datetime


@dataclass
class TableStatus:
    """One raw table as `mdp status` shows it."""

    table: str
    source: str
    last_load_at: datetime | None = None
    data_through: date | None = None
    cursor: str | None = None
    rows_in_raw: int | None = None
    rows_last_run: int | None = None
    quarantined_recent: int = 0
    refused: list[RefusedWindow] = field(default_factory=list)

    def freshness(self, today: date) -> str:
        """How old the latest loaded data day is, e.g. `2 days behind`."""
        if self.data_through is None:
            return "no data loaded" if self.last_load_at else "no load recorded"
        behind = (today - self.data_through).days
        if behind <= 0:
            return "up to date"
        return f"{behind} day{'s' if behind != 1 else ''} behind"


def source_of(table: str) -> str:
    """The connector of a raw table (`raw.google_ads_ads` → google_ads), "other" if none."""
    name = table.split(".", 1)[-1]
    matches = [s for s in SOURCES if name.startswith(f"{s}_")]
    return max(matches, key=len) if matches else "other"


def timestamp_literal(dialect_name: str, value: datetime) -> str:
    """An instant as a literal: BigQuery's TIMESTAMP is one; DuckDB's would drop the offset
    and read the text in the session's time zone, its TIMESTAMPTZ keeps it."""
    kind = "timestamp" if dialect_name == BIGQUERY.name else "timestamptz"
    return f"{kind} '{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00'"


def summary_sql(loads: str, since: str) -> str:
    """Per table: last load, the latest day of a window that loaded rows, records quarantined
    since `since`."""
    return (
        "select\n"
        "    source_table,\n"
        "    max(loaded_at) as last_load_at,\n"
        "    max(case when refused_reason is null and rows_loaded > 0 then window_end end)\n"
        "        as data_through,\n"
        f"    sum(case when loaded_at >= {since} then records_quarantined else 0 end)\n"
        "        as quarantined_recent\n"
        f"from {loads}\n"
        "group by source_table"
    )


def runs_sql(loads: str) -> str:
    """Rows loaded per table and run, and when each run last loaded."""
    return (
        "select source_table, run_id, max(loaded_at) as last_load_at,\n"
        "    sum(rows_loaded) as rows_loaded\n"
        f"from {loads}\n"
        "group by source_table, run_id"
    )


def refused_sql(loads: str, since: str) -> str:
    """Windows refused since `since` that no later run loaded."""
    return (
        "select refused.source_table, refused.window_start, refused.window_end,\n"
        "    refused.refused_reason, refused.loaded_at\n"
        f"from {loads} as refused\n"
        "where refused.refused_reason is not null\n"
        f"    and refused.loaded_at >= {since}\n"
        "    and not exists (\n"
        f"        select 1 from {loads} as later\n"
        "        where later.source_table = refused.source_table\n"
        "            and later.window_start = refused.window_start\n"
        "            and later.window_end = refused.window_end\n"
        "            and later.refused_reason is null\n"
        "            and later.loaded_at > refused.loaded_at\n"
        "    )\n"
        "order by refused.source_table, refused.window_start"
    )


def raw_count_sql(table: str, name: str) -> str:
    """One raw table's row count, named."""
    return f"select {string_literal(table)} as source_table, count(*) as row_count from {name}"


def table_statuses(warehouse: Warehouse, now: datetime | None = None) -> list[TableStatus]:
    """Every raw table (and every table in mdp_meta.loads), by source and table."""
    now = now or datetime.now(UTC)
    since = timestamp_literal(warehouse.dialect_name, now - RECENT)
    tables = {f"raw.{name}" for name in warehouse.list_tables("raw")}
    statuses: dict[str, TableStatus] = {}
    if warehouse.table_exists(LOADS_TABLE):
        loads = warehouse.qualified_name(LOADS_TABLE)
        for row in warehouse.query(summary_sql(loads, since)).to_pylist():
            status = statuses.setdefault(row["source_table"], _new(row["source_table"]))
            status.last_load_at = row["last_load_at"]
            status.data_through = row["data_through"]
            status.quarantined_recent = int(row["quarantined_recent"] or 0)
        last_run: dict[str, datetime] = {}
        for row in warehouse.query(runs_sql(loads)).to_pylist():
            table = row["source_table"]
            if table not in last_run or row["last_load_at"] > last_run[table]:
                last_run[table] = row["last_load_at"]
                statuses[table].rows_last_run = int(row["rows_loaded"] or 0)
        for row in warehouse.query(refused_sql(loads, since)).to_pylist():
            statuses[row["source_table"]].refused.append(
                RefusedWindow(
                    row["window_start"],
                    row["window_end"],
                    row["refused_reason"],
                    row["loaded_at"],
                )
            )
    for table in tables:
        status = statuses.setdefault(table, _new(table))
        name = warehouse.qualified_name(table)
        status.rows_in_raw = int(
            warehouse.query(raw_count_sql(table, name))["row_count"][0].as_py()
        )
    _add_cursors(warehouse, statuses)
    return sorted(statuses.values(), key=lambda s: (s.source not in SOURCES, s.source, s.table))


def _new(table: str) -> TableStatus:
    return TableStatus(table, source_of(table))


def _normal(name: str) -> str:
    return name.lower().replace("_", "")


def _add_cursors(warehouse: Warehouse, statuses: dict[str, TableStatus]) -> None:
    """Each stream's cursor beside its table (Salesforce's `CampaignMember` is
    raw.salesforce_campaign_member)."""
    for cursor in list_cursors(warehouse):
        table = f"{cursor.source}_{_normal(cursor.stream)}"
        for status in statuses.values():
            name = status.table.split(".", 1)[-1]
            if status.source == cursor.source and _normal(name) == _normal(table):
                status.cursor = cursor.value


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def print_status(statuses: list[TableStatus], console: Console, today: date) -> None:
    """The per-table table, then each refused window with its reason, in full."""
    if not statuses:
        console.print("nothing ingested yet: no raw table and no load recorded")
        return
    table = Table(title="Ingestion status (times UTC)", show_edge=False, pad_edge=False)
    for header in ("source", "raw table", "last load", "data through", "freshness", "cursor"):
        table.add_column(header, no_wrap=True)
    for header in ("rows in raw", "last run", "quarantined 7d", "refused"):
        table.add_column(header, justify="right", no_wrap=True)
    for s in statuses:
        table.add_row(
            s.source,
            s.table.split(".", 1)[-1],
            f"{s.last_load_at:%Y-%m-%d %H:%M}" if s.last_load_at else "never recorded",
            s.data_through.isoformat() if s.data_through else "-",
            s.freshness(today),
            s.cursor or "-",
            _count(s.rows_in_raw),
            _count(s.rows_last_run),
            _count(s.quarantined_recent),
            str(len(s.refused)) if s.refused else "-",
        )
    # never cut a name or a time to "…" on a narrow terminal: the table may run wider than it
    needed = Measurement.get(console, console.options.update_width(1_000), table).maximum
    wide = Console(
        file=console.file, width=max(console.width, needed), force_terminal=console.is_terminal
    )
    wide.print(table)
    refused = [(s.table, r) for s in statuses for r in s.refused]
    if refused:
        console.print("Windows refused in the last 7 days and not loaded since (in quarantine.*):")
        for name, window in refused:
            console.print(
                f"  {name} {window.first}..{window.last} ({window.at:%Y-%m-%d %H:%M}): "
                f"{window.reason}",
                highlight=False,
                soft_wrap=True,
            )
    console.print(
        "last run = rows the table's latest run loaded; data through = the latest day of a "
        "window that loaded rows"
    )
