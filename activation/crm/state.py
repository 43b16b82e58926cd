"""Warehouse tables of the CRM sync: what each record last synced as, open per-record errors,
the diffs a run computed, and one audit row per run (schema `activation`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from mdp.warehouse import Warehouse
from mdp.warehouse.sql import string_literal

from .records import Failure, Value

SCHEMA = "activation"
STATE = "activation.sync_state"
ERRORS = "activation.sync_errors"
DIFFS = "activation.sync_diffs"
LOG = "activation.sync_log"
_TS = pa.timestamp("us", tz="UTC")

STATE_SCHEMA = pa.schema(
    [
        ("target", pa.string()),
        ("object", pa.string()),
        ("record_key", pa.string()),
        ("crm_object", pa.string()),
        ("values_json", pa.string()),
        ("synced_at", _TS),
        ("run_id", pa.string()),
    ]
)
ERRORS_SCHEMA = pa.schema(
    [
        ("target", pa.string()),
        ("object", pa.string()),
        ("record_key", pa.string()),
        ("crm_object", pa.string()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("attempts", pa.int64()),
        ("first_failed_at", _TS),
        ("last_failed_at", _TS),
        ("run_id", pa.string()),
        ("resolved_at", _TS),
    ]
)
DIFFS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("target", pa.string()),
        ("object", pa.string()),
        ("record_key", pa.string()),
        ("crm_object", pa.string()),
        ("crm_field", pa.string()),
        ("old_value", pa.string()),
        ("new_value", pa.string()),
        ("reason", pa.string()),  # new | changed | retry
        ("dry_run", pa.bool_()),
    ]
)
LOG_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("target", pa.string()),
        ("status", pa.string()),  # succeeded | failed | dry_run | aborted
        ("dry_run", pa.bool_()),
        ("forced", pa.bool_()),
        ("started_at", _TS),
        ("finished_at", _TS),
        ("duration_seconds", pa.float64()),
        ("records_in_scope", pa.int64()),
        ("changed", pa.int64()),
        ("cleared", pa.int64()),
        ("retried", pa.int64()),
        ("sent", pa.int64()),
        ("succeeded", pa.int64()),
        ("failed", pa.int64()),
        ("skipped", pa.int64()),
        ("error_rate", pa.float64()),
        ("model_versions", pa.string()),
        ("batches", pa.int64()),
        ("job_ids", pa.string()),
        ("message", pa.string()),
    ]
)


@dataclass(frozen=True)
class OpenError:
    """A record whose last write failed; it is re-sent on the next run."""

    code: str
    message: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime


def _rows(warehouse: Warehouse, table: str, target: str) -> list[dict[str, object]]:
    if not warehouse.table_exists(table):
        return []
    name, literal = warehouse.qualified_name(table), string_literal(target)
    return warehouse.query(f"select * from {name} where target = {literal}").to_pylist()


def load_state(warehouse: Warehouse, target: str) -> dict[tuple[str, str], dict[str, Value]]:
    """(object, record key) → the CRM field values last written successfully."""
    return {
        (str(r["object"]), str(r["record_key"])): json.loads(str(r["values_json"]))
        for r in _rows(warehouse, STATE, target)
    }


def load_open_errors(warehouse: Warehouse, target: str) -> dict[tuple[str, str], OpenError]:
    """(object, record key) → the unresolved error of a record."""
    return {
        (str(r["object"]), str(r["record_key"])): OpenError(
            str(r["error_code"]),
            str(r["error_message"]),
            int(r["attempts"]),  # type: ignore[call-overload]
            r["first_failed_at"],  # type: ignore[arg-type]
            r["last_failed_at"],  # type: ignore[arg-type]
        )
        for r in _rows(warehouse, ERRORS, target)
        if r["resolved_at"] is None
    }


def _merge(
    warehouse: Warehouse,
    table: str,
    rows: list[dict[str, object]],
    schema: pa.Schema,
    keys: list[str],
) -> None:
    if not rows:
        return
    warehouse.ensure_schema(SCHEMA)
    warehouse.merge(table, pa.Table.from_pylist(rows, schema=schema), keys=keys)


def save_synced(
    warehouse: Warehouse,
    target: str,
    crm_object: str,
    obj: str,
    values: Mapping[str, Mapping[str, Value]],
    run_id: str,
    now: datetime,
) -> None:
    """Remember what each record now holds in the CRM."""
    rows = [
        {
            "target": target,
            "object": obj,
            "record_key": key,
            "crm_object": crm_object,
            "values_json": json.dumps(dict(record), sort_keys=True),
            "synced_at": now,
            "run_id": run_id,
        }
        for key, record in values.items()
    ]
    _merge(warehouse, STATE, rows, STATE_SCHEMA, ["target", "object", "record_key"])


def save_errors(
    warehouse: Warehouse,
    target: str,
    crm_object: str,
    obj: str,
    failures: Mapping[str, Failure],
    resolved: Iterable[str],
    previous: Mapping[tuple[str, str], OpenError],
    run_id: str,
    now: datetime,
) -> None:
    """Record this run's failures (attempts counted across runs) and close the errors of records
    that now went through."""
    rows: list[dict[str, object]] = []
    for key, failure in failures.items():
        before = previous.get((obj, key))
        rows.append(
            {
                "target": target,
                "object": obj,
                "record_key": key,
                "crm_object": crm_object,
                "error_code": failure.code,
                "error_message": failure.message,
                "attempts": (before.attempts if before else 0) + 1,
                "first_failed_at": before.first_failed_at if before else now,
                "last_failed_at": now,
                "run_id": run_id,
                "resolved_at": None,
            }
        )
    for key in resolved:
        before = previous[(obj, key)]
        rows.append(
            {
                "target": target,
                "object": obj,
                "record_key": key,
                "crm_object": crm_object,
                "error_code": before.code,
                "error_message": before.message,
                "attempts": before.attempts,
                "first_failed_at": before.first_failed_at,
                "last_failed_at": before.last_failed_at,
                "run_id": run_id,
                "resolved_at": now,
            }
        )
    _merge(warehouse, ERRORS, rows, ERRORS_SCHEMA, ["target", "object", "record_key"])


def save_diffs(warehouse: Warehouse, rows: list[dict[str, object]]) -> None:
    """Store a run's field-level diff (what it sent, or would send on a dry run)."""
    _merge(
        warehouse,
        DIFFS,
        rows,
        DIFFS_SCHEMA,
        ["run_id", "target", "object", "record_key", "crm_field"],
    )


def save_log(warehouse: Warehouse, row: dict[str, object]) -> None:
    """The run's audit row."""
    _merge(warehouse, LOG, [row], LOG_SCHEMA, ["run_id"])


def holdings(warehouse: Warehouse) -> list[dict[str, object]]:
    """Per CRM and mapped object: the records holding mdp's values now (what the last
    successful writes left there), from the sync state."""
    if not warehouse.table_exists(STATE):
        return []
    counts: dict[tuple[str, str, str], int] = {}
    rows = warehouse.query(
        f"select target, object, crm_object, values_json from {warehouse.qualified_name(STATE)}"
    ).to_pylist()
    for row in rows:
        if any(v is not None for v in json.loads(str(row["values_json"])).values()):
            key = (str(row["target"]), str(row["object"]), str(row["crm_object"]))
            counts[key] = counts.get(key, 0) + 1
    return [
        {"target": t, "object": o, "crm_object": c, "records": n}
        for (t, o, c), n in sorted(counts.items())
    ]


def last_runs(warehouse: Warehouse) -> list[dict[str, object]]:
    """Each CRM's latest sync run (its audit row)."""
    if not warehouse.table_exists(LOG):
        return []
    name = warehouse.qualified_name(LOG)
    return warehouse.query(
        f"""
        select target, status, records_in_scope, sent, failed, error_rate, started_at
        from {name} as log
        where started_at = (select max(started_at) from {name} where target = log.target)
        order by target
        """
    ).to_pylist()
