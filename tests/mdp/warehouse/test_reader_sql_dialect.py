"""The SQL the ML feature readers and the CRM sync send through `Warehouse.query` is BigQuery
SQL when the warehouse is BigQuery: recorded from a stand-in warehouse, parsed by sqlglot's
BigQuery dialect, and free of the DuckDB-only spellings BigQuery rejects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import pyarrow as pa
import pytest
import sqlglot

from mdp.warehouse.base import (
    ArrowData,
    LoadResult,
    StateEntry,
    TableChecksum,
    TableRef,
    Warehouse,
)

SNAPSHOT = date(2025, 3, 1)
#: DuckDB spellings that parse in sqlglot's BigQuery dialect yet fail (or mean something else)
#: on BigQuery itself.
DUCKDB_ONLY = {
    "'::' cast": re.compile(r"::"),
    "double-quoted name (a string on BigQuery)": re.compile(r'"\w+"'),
    "type DOUBLE/VARCHAR/HUGEINT": re.compile(r"\bas\s+(double|varchar|hugeint|real)\b", re.I),
    "date_trunc('part', x)": re.compile(r"date_trunc\(\s*'", re.I),
    "date_diff('part', a, b)": re.compile(r"date_?diff\(\s*'", re.I),
    "select * exclude": re.compile(r"\*\s+exclude\b", re.I),
    "$n / ? parameter": re.compile(r"\$\d|\?"),
}


class _Recorded(Exception):
    """Stops the reader after its first query: only the SQL is under test."""


class RecordingWarehouse(Warehouse):
    """Names tables like BigQuery and records every query instead of running it."""

    dialect_name = "bigquery"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def _name(self, table: TableRef) -> str:
        return f"`acme.{table.schema}.{table.name}`"

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self.sent.append(sql)
        raise _Recorded

    def table_exists(self, table: str | TableRef) -> bool:
        return True

    def ensure_schema(self, schema: str) -> None: ...
    def list_tables(self, schema: str) -> list[str]:
        return []

    def close(self) -> None: ...
    def get_state(self, key: str) -> str | None:
        return None

    def list_state(self, prefix: str = "") -> list[StateEntry]:
        return []

    def delete_state(self, key: str) -> bool:
        return False

    def merge(self, table: str | TableRef, data: ArrowData, keys: Sequence[str], *,
              partition_by: str | None = None) -> LoadResult:  # fmt: skip
        raise NotImplementedError

    def replace_partition(self, table: str | TableRef, data: ArrowData, *, column: str,
                          value: date, cluster_by: Sequence[str] = ()) -> LoadResult:  # fmt: skip
        raise NotImplementedError

    def checksum(self, table: str | TableRef, exclude: Sequence[str] = ()) -> TableChecksum:
        raise NotImplementedError


def _readers() -> dict[str, Callable[[Warehouse], Any]]:
    from activation.crm import state as crm_state
    from ml.attribution import features as attribution
    from ml.common.marts import read_columns
    from ml.forecasting import features as forecasting
    from ml.lead_scoring.features import lead_frame
    from ml.ltv import features as ltv

    return {
        "ml.read_columns": lambda w: read_columns(w, "marts.fct_leads", ["lead_id"]),
        "ml.lead_scoring.web_history": lambda w: w.query(
            __import__("ml.lead_scoring.features", fromlist=["x"]).web_history_sql(w)
        ),
        "ml.lead_scoring.lead_frame": lead_frame,
        "ml.ltv.purchase_summary": lambda w: ltv.purchase_summary(w, SNAPSHOT),
        "ml.ltv.subscription_summary": lambda w: ltv.subscription_summary(w, SNAPSHOT),
        "ml.ltv.baseline_churn": lambda w: ltv.baseline_churn_probability(w, SNAPSHOT),
        "ml.ltv.default_snapshot": ltv.default_snapshot,
        "ml.ltv.latest_churn": lambda w: ltv.latest_churn_probabilities(w, SNAPSHOT),
        "ml.attribution.snapshot": lambda w: attribution.snapshot_date(w, None),
        "ml.attribution.touchpoints": attribution.touchpoints,
        "ml.forecasting.default_as_of": forecasting.default_as_of,
        "ml.forecasting.channel_day": lambda w: w.query(
            forecasting.channel_day_sql(
                SNAPSHOT, "linear", w.qualified_name("marts.fct_channel_roi_daily")
            )
        ),
        "ml.budget.spend": lambda w: w.query(
            __import__("ml.budget.features", fromlist=["x"]).spend_sql(
                SNAPSHOT,
                date(2025, 1, 1),
                "linear",
                w.qualified_name("marts.fct_channel_roi_daily"),
            )
        ),
        "ml.attribution.sessions": lambda w: attribution._sessions(w, "marts", SNAPSHOT),
        "ml.attribution.conversions": lambda w: attribution._conversions(w, "marts", None),
        "activation.crm.state": lambda w: crm_state._rows(w, "activation.crm_sync_state", "x"),
    }


def duckdb_only(sql: str) -> list[str]:
    """The DuckDB-only spellings in a statement (string literals stripped first)."""
    code = re.sub(r"'[^']*'", "''", sql)
    return [name for name, pattern in DUCKDB_ONLY.items() if pattern.search(code)]


@pytest.mark.parametrize("name", sorted(_readers()))
def test_reader_sends_bigquery_sql(name: str) -> None:
    warehouse = RecordingWarehouse()
    with pytest.raises(_Recorded):
        _readers()[name](warehouse)
    (sql,) = warehouse.sent
    sqlglot.parse_one(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    assert duckdb_only(sql) == [], sql
    assert "`acme." in sql  # names came from qualified_name, not hard-coded DuckDB ones


def test_the_lint_catches_duckdb_spellings() -> None:
    found = duckdb_only(
        "select x::int, cast(y as double), date_trunc('week', d) from \"marts\".t where a = '::'"
    )
    assert found == [
        "'::' cast",
        "double-quoted name (a string on BigQuery)",
        "type DOUBLE/VARCHAR/HUGEINT",
        "date_trunc('part', x)",
    ]
