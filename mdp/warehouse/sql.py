"""SQL the warehouse layer generates, for DuckDB and BigQuery from one set of builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Dialect:
    """How a backend quotes identifiers and names tables."""

    name: str
    quote_char: str

    def ident(self, name: str) -> str:
        """Quote one identifier, escaping the quote character."""
        q = self.quote_char
        return f"{q}{name.replace(q, q * 2)}{q}"


DUCKDB = Dialect("duckdb", '"')
BIGQUERY = Dialect("bigquery", "`")


def _key_match(dialect: Dialect, keys: Sequence[str], left: str, right: str) -> str:
    return " and ".join(f"{left}.{dialect.ident(k)} = {right}.{dialect.ident(k)}" for k in keys)


def merge_sql(
    dialect: Dialect,
    target: str,
    source: str,
    columns: Sequence[str],
    keys: Sequence[str],
) -> str:
    """One MERGE statement: update rows whose keys match, insert the others (atomic in both)."""
    q = dialect.ident
    updates = [c for c in columns if c not in keys]
    insert_cols = ", ".join(q(c) for c in columns)
    insert_vals = ", ".join(f"source.{q(c)}" for c in columns)
    sql = [
        f"merge into {target} as target",
        f"using {source} as source",
        f"on {_key_match(dialect, keys, 'target', 'source')}",
    ]
    if updates:
        assignments = ", ".join(f"{q(c)} = source.{q(c)}" for c in updates)
        sql.append(f"when matched then update set {assignments}")
    sql.append(f"when not matched then insert ({insert_cols}) values ({insert_vals})")
    return "\n".join(sql)


def key_profile_sql(dialect: Dialect, source: str, keys: Sequence[str]) -> str:
    """Rows, rows with a null key and duplicated keys in a staged batch (checked before merging)."""
    q = dialect.ident
    any_null = " or ".join(f"{q(k)} is null" for k in keys)
    key_list = ", ".join(q(k) for k in keys)
    return (
        "select\n"
        "    count(*) as row_count,\n"
        f"    count_if({any_null}) as null_keys,\n"
        "    count(*) - (select count(*) from (\n"
        f"        select distinct {key_list} from {source}\n"
        "    ) as distinct_keys) as duplicate_keys\n"
        f"from {source}"
    )


def duplicate_sample_sql(dialect: Dialect, source: str, keys: Sequence[str], limit: int = 3) -> str:
    """A few keys that occur more than once, to name them in the error message."""
    key_list = ", ".join(dialect.ident(k) for k in keys)
    return (
        f"select {key_list}, count(*) as occurrences from {source}\n"
        f"group by {key_list} having count(*) > 1\n"
        f"order by occurrences desc limit {int(limit)}"
    )


def matched_count_sql(dialect: Dialect, target: str, source: str, keys: Sequence[str]) -> str:
    """How many staged rows already exist in the target (they will be updated)."""
    return (
        f"select count(*) as matched from {source} as source\n"
        f"where exists (select 1 from {target} as target\n"
        f"    where {_key_match(dialect, keys, 'target', 'source')})"
    )


def delete_partition_sql(dialect: Dialect, target: str, column: str, literal: str) -> str:
    """Delete one date partition (used inside a transaction before re-inserting it)."""
    return f"delete from {target} where {dialect.ident(column)} = {literal}"


def checksum_sql(dialect: Dialect, target: str, columns: Sequence[str]) -> str:
    """Order-independent checksum of a table: row count and the sum of per-row hashes."""
    q = dialect.ident
    if dialect is BIGQUERY:
        row = "to_json_string(struct(" + ", ".join(q(c) for c in columns) + "))"
        digest = f"sum(cast(farm_fingerprint({row}) as bignumeric))"
    else:
        row = "struct_pack(" + ", ".join(q(c) for c in columns) + ")"
        digest = f"sum(hash({row})::hugeint)"
    return f"select count(*) as row_count, coalesce({digest}, 0) as digest from {target}"


# Expressions hand-written queries need where DuckDB and BigQuery share no spelling; both take the
# backend's `Warehouse.dialect_name`.


def date_literal(value: date) -> str:
    """A DATE literal both dialects read."""
    return f"date '{value.isoformat()}'"


def string_literal(value: str) -> str:
    """A SQL string literal both dialects read ('' escapes a quote)."""
    return "'" + value.replace("'", "''") + "'"


def as_double(dialect_name: str, expr: str) -> str:
    """`expr` as a double-precision float (DOUBLE on DuckDB, FLOAT64 on BigQuery), e.g. so a
    NUMERIC sum reaches pandas as a float rather than as Python Decimals."""
    return f"cast({expr} as {'float64' if dialect_name == BIGQUERY.name else 'double'})"


def week_start(dialect_name: str, expr: str) -> str:
    """The Monday starting the ISO week of date `expr`, as a DATE (BigQuery's plain `week`
    starts on Sunday; DuckDB's date_trunc returns a timestamp)."""
    if dialect_name == BIGQUERY.name:
        return f"date_trunc({expr}, isoweek)"
    return f"cast(date_trunc('week', {expr}) as date)"
