"""A raw table against the world's truth: rows lost, duplicated, changed and unexpected.

A keyed table is compared on its stream's natural keys: lost = truth keys with no raw row,
duplicated = raw rows beyond the first of their key, changed = truth keys whose raw row holds a
different value in a compared column, extra = raw keys the truth does not have. A table without
keys (the GA4 event export) is compared per day as a multiset of row contents: lost = truth
rows with no raw copy left, duplicated = surplus copies of a truth row, extra = raw rows that
match no truth row (a changed row counts once as lost and once as extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

#: Numbers are compared as doubles within this relative tolerance (money is decimal in raw and
#: a float in the world; GA4 revenue is a float on both sides).
TOLERANCE = 1e-6
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


@dataclass(frozen=True)
class Truth:
    """What a raw table must hold: the world's rows under the raw table's column names.

    `keys` are the stream's natural keys (empty: compare contents per `day`); every other column
    of `rows` is compared. `raw_sql` selects the same columns from the raw table when they are
    not plain columns of it (e.g. a nested GA4 event parameter)."""

    table: str
    keys: tuple[str, ...]
    rows: pa.Table
    raw_sql: str | None = None
    day: str | None = None

    @property
    def values(self) -> list[str]:
        return [c for c in self.rows.column_names if c not in self.keys and c != self.day]


def renamed(rows: pa.Table, columns: dict[str, str]) -> pa.Table:
    """The world's columns under the raw table's names: {raw name: world name}."""
    return pa.table({raw: rows.column(world) for raw, world in columns.items()})


def compare(database: Path, truth: Truth) -> dict[str, Any]:
    """The table's figures against its truth, read from the DuckDB file `database`."""
    con = duckdb.connect(str(database))
    try:
        con.register("truth_rows", _plain(truth.rows))
        figures = {"table": truth.table, "truth_rows": truth.rows.num_rows}
        if not _exists(con, truth.table):
            nothing = dict.fromkeys(("raw_rows", "duplicated", "changed", "extra"), 0)
            return {**figures, **nothing, "lost": truth.rows.num_rows}
        columns = ", ".join(_quote(c) for c in truth.rows.column_names)
        raw = truth.raw_sql or f"select {columns} from {truth.table}"
        con.execute(f"create temp view raw_rows as {raw}")
        con.execute(f"create temp view truth_typed as {_typed(con, truth)}")
        counts = _keyed(con, truth) if truth.keys else _by_content(con, truth)
        raw_rows = con.execute("select count(*) from raw_rows").fetchone()
        return {**figures, "raw_rows": raw_rows[0] if raw_rows else 0, **counts}
    finally:
        con.close()


def _plain(rows: pa.Table) -> pa.Table:
    """Dictionary-encoded columns (the world's GA4 strings) decoded to their values."""
    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in rows.columns
    ]
    return pa.table(columns, names=rows.column_names)


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {row[0]: row[1] for row in con.execute("describe raw_rows").fetchall()}


def _typed(con: duckdb.DuckDBPyConnection, truth: Truth) -> str:
    """The truth cast to the raw side's column types, so keys join and values compare."""
    types = _types(con)
    casts = [f"cast({_quote(c)} as {types[c]}) as {_quote(c)}" for c in truth.rows.column_names]
    return f"select {', '.join(casts)} from truth_rows"


def _differs(column: str, kind: str) -> str:
    t, r = f"t.{_quote(column)}", f"r.{_quote(column)}"
    if kind.startswith(NUMERIC):
        return (
            f"(({t} is null) <> ({r} is null) or abs({t}::double - {r}::double) > "
            f"{TOLERANCE} * greatest(1, abs({t}::double)))"
        )
    return f"({t} is distinct from {r})"


def _keyed(con: duckdb.DuckDBPyConnection, truth: Truth) -> dict[str, int]:
    on = " and ".join(f"t.{_quote(k)} = r.{_quote(k)}" for k in truth.keys)
    keys = ", ".join(_quote(k) for k in truth.keys)
    t_keys = ", ".join(f"t.{_quote(k)}" for k in truth.keys)
    types = _types(con)
    differs = " or ".join(_differs(c, types[c]) for c in truth.values) or "false"
    lost = f"select count(*) from truth_typed t anti join raw_rows r on {on}"
    distinct_raw = f"(select distinct {keys} from raw_rows) r"
    extra = f"select count(*) from {distinct_raw} anti join truth_typed t on {on}"
    per_key = f"(select count(*) as n from raw_rows group by {keys})"
    duplicated = f"select coalesce(sum(n - 1), 0) from {per_key}"
    changed = (
        f"select count(*) from (select distinct {t_keys} from truth_typed t join raw_rows r "
        f"on {on} where {differs})"
    )
    sql = {"lost": lost, "duplicated": duplicated, "changed": changed, "extra": extra}
    return {name: _count(con, statement) for name, statement in sql.items()}


def _by_content(con: duckdb.DuckDBPyConnection, truth: Truth) -> dict[str, int]:
    assert truth.day is not None, f"{truth.table}: a table without keys is compared per day"
    content = ", ".join(_quote(c) for c in truth.values)
    day = _quote(truth.day)

    def copies(view: str) -> str:
        return f"select {day}, hash({content}) as h, count(*) as n from {view} group by all"

    con.execute(
        f"""create temp view content_diff as
        select coalesce(t.n, 0) as t_n, coalesce(r.n, 0) as r_n
        from ({copies("truth_typed")}) t full join ({copies("raw_rows")}) r
          on t.{day} = r.{day} and t.h = r.h"""
    )
    sql = {
        "lost": "select coalesce(sum(greatest(t_n - r_n, 0)), 0) from content_diff",
        "duplicated": "select coalesce(sum(r_n - t_n), 0) from content_diff where r_n > t_n "
        "and t_n > 0",
        "changed": "select 0",
        "extra": "select coalesce(sum(r_n), 0) from content_diff where t_n = 0",
    }
    return {name: _count(con, statement) for name, statement in sql.items()}


def _count(con: duckdb.DuckDBPyConnection, statement: str) -> int:
    row = con.execute(statement).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
