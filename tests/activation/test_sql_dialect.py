"""Every statement activation/ sends through `Warehouse.query` is BigQuery SQL on BigQuery: the
weekly report, the alerts, the experiment analysis and the CRM sync's reads, recorded from a
stand-in warehouse that answers like an empty one (so each function goes on to its later
queries), each parsed by sqlglot's BigQuery dialect and free of DuckDB-only spellings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from unittest.mock import patch

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.bigquery import BigQuery

from mdp.errors import ConfigError
from mdp.settings import Settings
from mdp.warehouse.base import ArrowData, LoadResult, TableRef
from mdp.warehouse.sql import as_double, week_start
from tests.mdp.warehouse.test_reader_sql_dialect import RecordingWarehouse, duckdb_only

AS_OF = date(2025, 3, 2)
WEEK = date(2025, 2, 24)


class EmptyWarehouse(RecordingWarehouse):
    """Records every query and answers as an empty warehouse would: no rows, or one row of nulls
    for a global aggregate (`select max(d) as d from t`). `answers` are canned results for the
    queries naming a table; `missing` are the tables that do not exist."""

    def __init__(
        self, answers: Mapping[str, pa.Table] | None = None, missing: Iterable[str] = ()
    ) -> None:
        super().__init__()
        self.answers = dict(answers or {})
        self.missing = set(missing)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        self.sent.append(sql)
        for table, answer in self.answers.items():
            if self.qualified_name(table) in sql:
                return answer
        select = sqlglot.parse_one(sql, read="bigquery")
        assert isinstance(select, exp.Select), sql
        names = [n for n in select.named_selects if n != "*"]
        aggregate = not select.args.get("group") and all(
            isinstance(e.unalias(), exp.AggFunc) for e in select.expressions
        )
        return pa.table({n: pa.nulls(1 if aggregate else 0) for n in names})

    def table_exists(self, table: str | TableRef) -> bool:
        return str(TableRef.parse(table)) not in self.missing

    def merge(self, table: str | TableRef, data: ArrowData, keys: Sequence[str], *,
              partition_by: str | None = None) -> LoadResult:  # fmt: skip
        return LoadResult(str(table), 0, 0, 0)


@dataclass(frozen=True)
class Case:
    """A function to run, the number of statements it must send, and what the warehouse holds."""

    run: Callable[[EmptyWarehouse], object]
    statements: int
    answers: Mapping[str, pa.Table] = field(default_factory=dict)
    missing: tuple[str, ...] = ()


def _settings() -> Settings:
    settings = Settings()
    # a planned budget, so the pacing rule runs its query
    alerts = settings.alerts.model_copy(update={"daily_budgets": {"c1": 100.0}})
    return settings.model_copy(update={"alerts": alerts})


def _no_data_week(build: Any, warehouse: EmptyWarehouse) -> None:
    with pytest.raises(ConfigError, match="no data for the week"):
        build.report_week(warehouse, WEEK)


def _report_cases(settings: Settings) -> dict[str, Case]:
    from activation.report import build, sections

    def section(
        builder: Callable[[sections.Context], object],
    ) -> Callable[[EmptyWarehouse], object]:
        return lambda w: builder(sections.Context(w, settings, WEEK))

    forecast = pa.table(
        {
            "metric": ["leads"],
            "date": [date(2025, 3, 3)],
            **{c: [1.0] for c in ("yhat", "yhat_lower_80", "yhat_upper_80")},
            **{c: [1.0] for c in ("yhat_lower_95", "yhat_upper_95")},
            "model": ["ets"],
            "as_of": [AS_OF],
        }
    )
    return {
        "report.week": Case(lambda w: build.report_week(w, None), 1),
        # a week with no data: the named error, after its one query
        "report.week_given": Case(lambda w: _no_data_week(build, w), 1),
        "report.data_end": Case(section(sections.data_end), 1),
        "report.changes": Case(section(sections.what_changed), 1),
        "report.spend": Case(section(sections.spend_roas), 1),
        "report.attribution": Case(section(sections.attribution), 2),
        "report.funnel": Case(section(sections.funnel), 1),
        "report.mrr": Case(section(sections.mrr), 1),
        # a forecast row, so the section goes on to read the weekly actuals
        "report.forecast": Case(section(sections.forecast), 2, {sections.FORECASTS: forecast}),
        "report.at_risk": Case(section(sections.at_risk), 1),
        "report.at_risk_no_customers": Case(
            section(sections.at_risk), 1, missing=(sections.CUSTOMERS,)
        ),
        "report.hot_leads": Case(section(sections.hot_leads), 2),
        "report.hot_leads_no_mart": Case(
            section(sections.hot_leads), 2, missing=(sections.LEAD_MART,)
        ),
        "report.experiments": Case(section(sections.experiments), 1),
        "report.alerts": Case(section(sections.alerts), 1),
    }


def _latest_day(warehouse: EmptyWarehouse) -> None:
    from activation.alerts import run

    with pytest.raises(ConfigError, match="empty"):
        run.latest_day(warehouse)


def _quarantines(settings: Settings) -> Callable[[EmptyWarehouse], object]:
    from activation.alerts import data_quality

    def run(warehouse: EmptyWarehouse) -> object:
        # one quarantine table, so the rule goes on to read it
        warehouse.list_tables = lambda schema: ["salesforce_lead"]  # type: ignore[method-assign]
        return data_quality.quarantine_rule(warehouse, settings)

    return run


def _alert_cases(settings: Settings) -> dict[str, Case]:
    from activation.alerts import anomalies, data_quality, rules, state

    def rule(check: Callable[..., object]) -> Callable[[EmptyWarehouse], object]:
        return lambda w: check(w, settings, AS_OF)

    return {
        # an empty mart has no latest day: the named error, after its one query
        "alerts.latest_day": Case(_latest_day, 1),
        "alerts.campaign_rules": Case(rule(rules.campaign_rules), 1),
        "alerts.ctr_rule": Case(rule(rules.ctr_rule), 1),
        "alerts.pacing_rule": Case(rule(rules.pacing_rule), 1),
        "alerts.churn_rule": Case(rule(rules.churn_rule), 1),
        "alerts.hot_lead_rule": Case(rule(rules.hot_lead_rule), 1),
        "alerts.anomalies": Case(rule(anomalies.evaluate_anomalies), 2),
        "alerts.reconcile": Case(lambda w: state.reconcile(w, [], AS_OF), 1),
        "alerts.schema_changes": Case(lambda w: data_quality.schema_change_rule(w, settings), 1),
        "alerts.quarantined_records": Case(_quarantines(settings), 1),
    }


def _experiments(settings: Settings) -> Callable[[EmptyWarehouse], object]:
    import activation.experiments as experiments

    def run(warehouse: EmptyWarehouse) -> object:
        with patch.object(experiments, "get_warehouse", return_value=warehouse):
            return experiments.run(settings)

    return run


def _crm_cases() -> dict[str, Case]:
    from functools import partial

    from activation.crm import state, values
    from activation.crm.mapping import Target, load_mapping

    cases = {}
    targets: tuple[Target, ...] = ("salesforce", "hubspot")
    for target in targets:
        for obj in load_mapping().for_target(target):
            # `select * ... limit 0` lists the score table's columns: give it the mapped ones
            columns = pa.table({c: pa.nulls(0) for c in values._needed(obj, target)})
            cases[f"crm.{target}.{obj.name}"] = Case(
                partial(values.read_source, obj=obj, target=target), 2, {obj.source.table: columns}
            )
        cases[f"crm.{target}.state"] = Case(partial(state.load_state, target=target), 1)
        cases[f"crm.{target}.errors"] = Case(partial(state.load_open_errors, target=target), 1)
    cases["crm.holdings"] = Case(state.holdings, 1)  # the demo's closing summary
    cases["crm.last_runs"] = Case(state.last_runs, 1)
    return cases


def _cases() -> dict[str, Case]:
    settings = _settings()
    return {
        **_report_cases(settings),
        **_alert_cases(settings),
        "experiments.run": Case(_experiments(settings), 1),
        **_crm_cases(),
    }


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_activation_sends_bigquery_sql(name: str) -> None:
    case = CASES[name]
    warehouse = EmptyWarehouse(case.answers, case.missing)
    case.run(warehouse)
    assert len(warehouse.sent) == case.statements, warehouse.sent
    for sql in warehouse.sent:
        tree = sqlglot.parse_one(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        assert duckdb_only(sql) == [], sql
        assert "`acme." in sql, sql  # names came from qualified_name, not hard-coded ones
        # a function sqlglot knows in no dialect is likely a DuckDB-only one
        assert not list(tree.find_all(exp.Anonymous)), sql
        assert reserved_names(tree) == [], sql


def reserved_names(tree: exp.Expr) -> list[str]:
    """Unquoted names (e.g. an alias `new`) that are reserved words on BigQuery: sqlglot parses
    them, BigQuery rejects them."""
    return [
        i.name
        for i in tree.find_all(exp.Identifier)
        if not i.quoted and i.name.lower() in BigQuery.Generator.RESERVED_KEYWORDS
    ]


def test_the_reserved_word_check_finds_an_alias() -> None:
    tree = sqlglot.parse_one("select sum(x) as new, y as lookup from t", read="bigquery")
    assert reserved_names(tree) == ["new", "lookup"]


def test_every_activation_query_site_is_covered() -> None:
    """A new `.query(` call in activation/ needs a case above (counted per module)."""
    import pathlib

    root = pathlib.Path(__file__).parents[2] / "activation"
    sites = {
        str(p.relative_to(root)): p.read_text().count(".query(")
        for p in sorted(root.rglob("*.py"))
        if ".query(" in p.read_text()
    }
    assert sites == {
        "alerts/data_quality.py": 2,
        "alerts/anomalies.py": 2,
        "alerts/rules.py": 4,
        "alerts/run.py": 1,
        "alerts/state.py": 1,
        "crm/state.py": 3,
        "crm/values.py": 2,
        "experiments/__init__.py": 1,
        "report/build.py": 2,
        "report/sections.py": 2,  # Context.df, which every section query goes through; data_end
    }


def test_week_start_is_the_monday_as_a_date_on_duckdb() -> None:
    days = [date(2025, 3, 2), date(2025, 3, 3), date(2025, 3, 9)]  # Sunday, Monday, Sunday
    sql = ", ".join(week_start("duckdb", f"date '{d.isoformat()}'") for d in days)
    assert duckdb.connect().execute(f"select {sql}").fetchone() == (
        date(2025, 2, 24),
        date(2025, 3, 3),
        date(2025, 3, 3),
    )
    assert week_start("bigquery", "d") == "date_trunc(d, isoweek)"  # Monday-based on BigQuery


def test_as_double_turns_numeric_into_a_float_on_duckdb() -> None:
    numeric = "cast(2.5 as decimal(38, 6))"
    value = duckdb.connect().execute(f"select {as_double('duckdb', numeric)}").fetchone()
    assert value is not None and isinstance(value[0], float) and value[0] == 2.5
