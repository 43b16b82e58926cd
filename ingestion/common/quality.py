"""Quality gates: Great Expectations suites run on every batch before it may reach the raw layer.

Each raw table has a suite in `expectations/suites/<table>.json` (GE's own format, reviewed like
code). Per batch, the window's date bounds and the API's own totals are added as expectations, so
a batch whose dates stray outside the request or whose sums disagree with the source fails too.

Expectations come in two kinds, and the report keeps them apart: a record rule (a column map
expectation: not null, between, in set, unique...) names the rows that break it, and only those
rows are refused; a window rule (column sums against the API's totals, the row count, the table's
columns) judges the batch as a whole. Results are published as GE data docs under
`<home>/gx/data_docs` (see data_docs.py: every source's latest validations, readable offline).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from mdp import PROJECT_ROOT

log = logging.getLogger(__name__)

SUITES_DIR = PROJECT_ROOT / "expectations" / "suites"


@dataclass(frozen=True)
class Rule:
    """One expectation, in GE's terms: its type (snake_case) and keyword arguments."""

    type: str
    kwargs: Mapping[str, Any]


@dataclass(frozen=True)
class QualityReport:
    """Whether a batch passed, and a readable line per failed expectation."""

    table: str
    success: bool
    failures: tuple[str, ...] = ()
    details: list[dict[str, Any]] = field(default_factory=list)
    #: Failed window rules (the batch as a whole cannot load).
    window_failures: tuple[str, ...] = ()
    #: Row number → the record rules it breaks (only those rows are refused).
    bad_rows: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def summary(self) -> str:
        """One paragraph for logs, task failures and the quarantine table."""
        if self.success:
            return f"{self.table}: all expectations passed"
        return f"{self.table}: {len(self.failures)} expectation(s) failed: " + "; ".join(
            self.failures
        )


def window_rules(date_column: str, first: date, last: date) -> list[Rule]:
    """Every row's date lies inside the requested window."""
    kwargs = {"column": date_column, "min_value": first.isoformat(), "max_value": last.isoformat()}
    return [Rule("expect_column_values_to_be_between", kwargs)]


def reconciliation_rules(totals: Mapping[str, float], tolerance: float = 1e-6) -> list[Rule]:
    """The batch's column sums equal the totals the API itself reports for the window."""
    rules = []
    for column, total in totals.items():
        slack = abs(total) * tolerance + tolerance
        rules.append(
            Rule(
                "expect_column_sum_to_be_between",
                {"column": column, "min_value": total - slack, "max_value": total + slack},
            )
        )
    return rules


def _describe(result: Any) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in {"batch_id"}}
    observed = result.result.get("observed_value")
    unexpected = result.result.get("unexpected_count")
    found = f"observed {observed}" if observed is not None else f"{unexpected} unexpected row(s)"
    partial = result.result.get("partial_unexpected_list")
    sample = f", e.g. {partial[:3]}" if partial else ""
    return f"{config.type}({json.dumps(kwargs, default=str, sort_keys=True)}): {found}{sample}"


def _rule(result: Any) -> str:
    """A record rule's short name for the quarantine row, e.g. spend between {min_value: 0}."""
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in {"batch_id"}}
    return f"{config.type}({json.dumps(kwargs, default=str, sort_keys=True)})"


def _is_record_rule(result: Any) -> bool:
    return result.result.get("unexpected_index_list") is not None or (
        "partial_unexpected_list" in result.result
    )


def _frame(data: pa.Table) -> Any:
    """The batch as GE's pandas frame. Dates stay datetime.date objects (GE reads ISO bounds as
    dates and compares them); decimals become float64, because GE sums an object column of
    Decimals element by element (minutes per batch) and float64 holds every money value the
    reconciliation's 1e-6 relative tolerance can tell apart."""
    columns = [
        column.cast(pa.float64()) if pa.types.is_decimal(column.type) else column
        for column in data.columns
    ]
    return pa.table(columns, names=data.column_names).to_pandas(date_as_object=True)


class QualityGate:
    """Runs suites with an in-memory GE context; one per process (GE is slow to import)."""

    _lock = threading.Lock()
    #: Names for per-batch suites/definitions (counting the context's registry is O(n) per
    #: batch, and keeping every definition made each validation slower than the last).
    _names = itertools.count()

    def __init__(self, docs_dir: Path | None = None, suites_dir: Path = SUITES_DIR) -> None:
        import great_expectations as gx

        self._gx = gx
        self.suites_dir = suites_dir
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False}
        self.docs_dir = docs_dir
        #: Results already in the data docs (the context keeps every result of the process).
        self._published: set[tuple[str, ...]] = set()
        source = self.context.data_sources.add_pandas("mdp_batches")
        self._asset = source.add_dataframe_asset("batch")
        self._batch_definition = self._asset.add_batch_definition_whole_dataframe("whole")

    def suite_rules(self, table: str) -> list[Rule]:
        """The versioned suite of a raw table (an empty list when none is defined)."""
        path = self.suites_dir / f"{table}.json"
        if not path.exists():
            return []
        spec = json.loads(path.read_text())
        return [Rule(e["type"], e["kwargs"]) for e in spec["expectations"]]

    def validate(self, table: str, data: pa.Table, extra: Sequence[Rule] = ()) -> QualityReport:
        """Validate a batch against its suite plus `extra` (window and reconciliation)."""
        rules = [*self.suite_rules(table), *extra]
        if not rules:
            return QualityReport(table, True)
        with self._lock:
            suite = self._suite(table, rules)
            frame = _frame(data)
            name = f"{table}-{next(self._names)}"
            definition = self.context.validation_definitions.add(
                self._gx.ValidationDefinition(name=name, data=self._batch_definition, suite=suite)
            )
            # No per-batch docs action: rendering costs 3x the validation itself; publish_docs()
            # renders every stored result once, at the end of a run.
            checkpoint = self._gx.Checkpoint(name=name, validation_definitions=[definition])
            outcome = checkpoint.run(batch_parameters={"dataframe": frame})
            results = [r for run in outcome.run_results.values() for r in run.results]
            failed = [r for r in results if not r.success]
            if any(_is_record_rule(r) for r in failed):
                # which rows: asked for only when a record rule failed (costs 2x the check)
                complete = self._gx.Checkpoint(
                    name=f"{name}-rows",
                    validation_definitions=[definition],
                    result_format={"result_format": "COMPLETE"},
                )
                outcome = complete.run(batch_parameters={"dataframe": frame})
                results = [r for run in outcome.run_results.values() for r in run.results]
                failed = [r for r in results if not r.success]
            self.context.validation_definitions.delete(name)
            self.context.suites.delete(suite.name)
        failures = tuple(_describe(r) for r in failed)
        details = [r.to_json_dict() for r in failed]
        bad_rows: dict[int, list[str]] = {}
        window: list[str] = []
        for result in failed:
            rows = result.result.get("unexpected_index_list")
            if rows is None:
                window.append(_describe(result))
                continue
            for row in rows:
                bad_rows.setdefault(int(row), []).append(_rule(result))
        return QualityReport(
            table,
            not failures,
            failures,
            details,
            tuple(window),
            {row: tuple(rules) for row, rules in sorted(bad_rows.items())},
        )

    def publish_docs(self) -> Path | None:
        """Publish this process's validations since its last publish into the shared data docs
        site (other processes' tables kept); its index.html, or None when there is nothing new
        or it could not be written (a warning: the docs are a view of
        results the run already acted on, so a full disk there must not hide the run's error)."""
        if self.docs_dir is None:
            return None
        # GE's site builder logs a failed write with its traceback before raising it; the
        # warning below says the same in one line
        builder = logging.getLogger("great_expectations.render.renderer.site_builder")
        level = builder.level
        builder.setLevel(logging.CRITICAL)
        try:
            return self._publish_docs(self.docs_dir)
        except Exception as error:  # noqa: BLE001 - GE raises anything; the run's outcome stands
            log.warning("data docs not published to %s: %s", self.docs_dir, error)
            return None
        finally:
            builder.setLevel(level)

    def _publish_docs(self, docs_dir: Path) -> Path | None:
        from .data_docs import publish, validations_of

        with self._lock:
            store = self.context.validation_results_store
            keys = [k for k in store.list_keys() if k.to_tuple() not in self._published]
            validations = validations_of(store, keys)
            if not validations:
                return None
            pages = {v.page for v in validations}
            rendered: list[Any] = [
                k for k in keys if "validations/" + "/".join(k.to_tuple()) + ".html" in pages
            ]

            def render(staging: Path) -> None:
                # a site of its own per publish: GE deletes the pages its stores do not know
                config: Any = {
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(staging),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                }
                self.context.add_data_docs_site("mdp", config)
                try:
                    self.context.build_data_docs(site_names=["mdp"], resource_identifiers=rendered)
                finally:
                    self.context.delete_data_docs_site("mdp")

            index = publish(docs_dir, validations, render)
            self._published.update(k.to_tuple() for k in keys)
        return index

    def _suite(self, table: str, rules: Sequence[Rule]) -> Any:
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        name = f"{table}-{next(self._names)}"
        suite = self.context.suites.add(self._gx.ExpectationSuite(name=name))
        for rule in rules:
            suite.add_expectation_configuration(
                ExpectationConfiguration(type=rule.type, kwargs=dict(rule.kwargs))
            )
        suite.save()
        return suite


@functools.cache
def shared_gate(docs: bool = True) -> QualityGate:
    """The process's gate (Great Expectations takes seconds to start); with `docs`, its data docs
    are published under <MDP_HOME>/gx/data_docs."""
    from mdp.settings import get_settings

    return QualityGate(docs_dir=get_settings().home / "gx" / "data_docs" if docs else None)
