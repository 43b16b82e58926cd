"""One CRM sync run: read scores, check fields, diff with state, guard, write, record it all."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mdp.logging import redact
from mdp.settings import Settings
from mdp.warehouse import Warehouse, get_warehouse

from . import state
from .errors import GuardrailError, SyncErrorRateError
from .mapping import ObjectMap, Target, check_target, load_mapping
from .records import CrmClient, Record, Value, WriteOutcome
from .schema import FieldInfo, check_fields, check_values
from .values import changed_fields, read_source

log = logging.getLogger(__name__)


@dataclass
class ObjectPlan:
    """What one mapped object would send: records, why, and their field-level diff."""

    obj: ObjectMap
    crm_object: str
    in_scope: int = 0
    skipped: int = 0
    new: int = 0
    changed: int = 0
    left: int = 0  # synced before, out of the scope now: their fields are cleared
    retried: int = 0
    prior: int = 0  # records synced before (the guardrail only applies once there are some)
    records: list[Record] = field(default_factory=list)
    diffs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changing(self) -> int:
        return self.new + self.changed + self.left

    @property
    def changing_share(self) -> float:
        return self.changing / self.in_scope if self.in_scope else 0.0


@dataclass
class SyncResult:
    """What a run did; the same numbers land in activation.sync_log."""

    run_id: str
    target: str
    status: str = "running"
    dry_run: bool = False
    forced: bool = False
    in_scope: int = 0
    changed: int = 0
    left: int = 0
    retried: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    batches: int = 0
    job_ids: list[str] = field(default_factory=list)
    model_versions: set[str] = field(default_factory=set)
    diffs: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)  # per object: what would change
    message: str = ""
    seconds: float = 0.0

    @property
    def succeeded(self) -> int:
        return self.sent - self.failed

    @property
    def error_rate(self) -> float:
        """Share of the records in scope that the CRM does not hold after this run."""
        return self.failed / self.in_scope if self.in_scope else 0.0


def connect(target: Target, settings: Settings) -> CrmClient:
    """The CRM client from its Airflow connection (secrets stay in the connection)."""
    from mdp.runtime.connections import get_connection

    if target == "salesforce":
        from .salesforce import SalesforceConfig, SalesforceCrm

        conn = get_connection(settings.connections.salesforce)
        return SalesforceCrm(SalesforceConfig.from_connection(conn), settings.sync)
    from .hubspot import HubSpotCrm

    return HubSpotCrm.from_connection(get_connection(settings.connections.hubspot), settings.sync)


def _text(value: Value) -> str | None:
    return None if value is None else json.dumps(value) if not isinstance(value, str) else value


def leaving_records(
    obj: ObjectMap,
    target: Target,
    desired: dict[str, dict[str, Value]],
    synced: dict[tuple[str, str], dict[str, Value]],
) -> dict[str, dict[str, Value]]:
    """Records synced before that left the scope (a customer who churned), with every field
    empty, when the object clears them (`on_leave: clear`); already-empty ones are left alone."""
    if obj.on_leave != "clear":
        return {}
    empty: dict[str, Value] = {name: None for _, name in obj.fields_for(target)}
    return {
        key: dict(empty)
        for (name, key), values in synced.items()
        if name == obj.name and key not in desired and any(v is not None for v in values.values())
    }


def plan_object(
    obj: ObjectMap,
    target: Target,
    client: CrmClient,
    described: dict[str, FieldInfo],
    desired: dict[str, dict[str, Value]],
    synced: dict[tuple[str, str], dict[str, Value]],
    open_errors: dict[tuple[str, str], state.OpenError],
    min_score_change: float,
) -> ObjectPlan:
    """Which records to send and why: never synced, changed beyond the minimum, failed last
    time (retried), or left the scope (cleared). Keys the CRM does not hold are skipped."""
    plan = ObjectPlan(obj, obj.crm_object(target))
    leaving = leaving_records(obj, target, desired, synced)
    wanted = {**leaving, **desired}
    ids = client.resolve(obj, sorted(wanted))
    plan.skipped = len(desired) - sum(1 for key in desired if key in ids)
    in_crm = {key: wanted[key] for key in ids}
    check_values(target, obj, described, in_crm)
    plan.in_scope = sum(1 for key in in_crm if key not in leaving)
    plan.prior = sum(1 for key in in_crm if (obj.name, key) in synced)
    for key, values in sorted(in_crm.items()):
        old = synced.get((obj.name, key))
        changed = changed_fields(obj, target, old, values, min_score_change)
        retry = (obj.name, key) in open_errors
        if not changed and not retry:
            continue
        reason = (
            "left" if key in leaving else "retry" if retry else "new" if old is None else "changed"
        )
        plan.retried += reason == "retry"
        plan.new += reason == "new"
        plan.changed += reason == "changed"
        plan.left += reason == "left"
        plan.records.append(Record(key, ids[key], values))
        for name, value in values.items():
            before = None if old is None else old.get(name)
            if old is None or before != value:
                plan.diffs.append(
                    {
                        "object": obj.name,
                        "record_key": key,
                        "crm_object": plan.crm_object,
                        "crm_field": name,
                        "old_value": _text(before),
                        "new_value": _text(value),
                        "reason": reason,
                    }
                )
    return plan


def _guard(plans: list[ObjectPlan], share: float) -> str | None:
    """Why the run must stop, or None: an object already synced before whose share of records
    about to change exceeds the guardrail (the first full load is exempt)."""
    tripped = [
        f"{p.obj.name}: {p.changing:,} of {p.in_scope:,} records ({p.changing_share:.0%})"
        for p in plans
        if p.prior and p.changing_share > share
    ]
    if not tripped:
        return None
    return (
        f"guardrail: more than {share:.0%} of the records would change ({'; '.join(tripped)}); "
        "nothing was sent. Review the diff (`mdp sync <crm> --dry-run`; e.g. a new model "
        "version), then rerun with --force (Airflow: trigger crm_sync with force=true)"
    )


def run_sync(
    settings: Settings,
    target: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    client: CrmClient | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncResult:
    """Sync the mapped score tables to one CRM (see activation/crm/README.md)."""
    crm = check_target(target)
    started, tick = clock(), time.monotonic()
    result = SyncResult(f"{crm}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", crm)
    result.dry_run, result.forced = dry_run, force
    mapping = load_mapping(settings.sync.mapping)
    client = client or connect(crm, settings)
    with get_warehouse(settings) as warehouse:
        try:
            plans, open_errors = _plan(
                warehouse, mapping.for_target(crm), crm, client, settings, result
            )
            _execute(warehouse, plans, open_errors, crm, client, settings, result, clock)
        except Exception as error:
            if result.status == "running":
                result.status, result.message = "failed", redact(str(error))
            raise
        finally:
            result.seconds = time.monotonic() - tick
            if result.status != "running":
                _record(warehouse, result, started, clock())
            client.close()
    return result


def _plan(
    warehouse: Warehouse,
    objects: list[ObjectMap],
    target: Target,
    client: CrmClient,
    settings: Settings,
    result: SyncResult,
) -> tuple[list[ObjectPlan], dict[tuple[str, str], state.OpenError]]:
    sources = {o.name: read_source(warehouse, o, target) for o in objects}
    # every field of every object is checked before the first record is sent
    described: dict[str, dict[str, FieldInfo]] = {}
    for obj in objects:
        crm_object = obj.crm_object(target)
        if crm_object not in described:
            described[crm_object] = client.describe(crm_object)
    check_fields(target, objects, described)
    synced = state.load_state(warehouse, target)
    open_errors = state.load_open_errors(warehouse, target)
    plans = []
    for obj in objects:
        source = sources[obj.name]
        if source is None:
            log.warning("CRM sync: %s does not exist yet; %s skipped", obj.source.table, obj.name)
            continue
        result.model_versions |= source.model_versions
        plan = plan_object(
            obj,
            target,
            client,
            described[obj.crm_object(target)],
            source.records,
            synced,
            open_errors,
            settings.sync.min_score_change,
        )
        plans.append(plan)
        result.in_scope += plan.in_scope
        result.skipped += plan.skipped
        result.changed += plan.new + plan.changed
        result.left += plan.left
        result.retried += plan.retried
        result.diffs += plan.diffs
        result.objects.append(
            {
                "object": obj.name,
                "crm_object": plan.crm_object,
                "in_scope": plan.in_scope,
                "new": plan.new,
                "changed": plan.changed,
                "left": plan.left,
                "retried": plan.retried,
                "unchanged": plan.in_scope - plan.new - plan.changed - plan.retried,
                "not_in_crm": plan.skipped,
                "changing_share": plan.changing_share,
            }
        )
    return plans, open_errors


def _execute(
    warehouse: Warehouse,
    plans: list[ObjectPlan],
    open_errors: dict[tuple[str, str], state.OpenError],
    target: Target,
    client: CrmClient,
    settings: Settings,
    result: SyncResult,
    clock: Callable[[], datetime],
) -> None:
    reason = _guard(plans, settings.sync.guardrail_share)
    if result.dry_run:  # a dry run always shows the whole diff, guardrail or not
        result.status = "dry_run"
        result.message = f"{sum(len(p.records) for p in plans)} record(s) would be sent" + (
            f"; a real run would stop: {reason}" if reason and not result.forced else ""
        )
        return
    if reason and not result.forced:
        result.status, result.message = "aborted", reason
        raise GuardrailError(reason, result)
    writing = [plan for plan in plans if plan.records]
    outcomes = _write(client, writing)
    failed = None
    for plan, future in zip(writing, outcomes, strict=True):
        if future.exception() is not None:
            failed = failed or future.exception()
            continue
        _apply(warehouse, plan, future.result(), target, result, open_errors, clock())
    if failed is not None:
        raise failed
    result.status = "succeeded"
    if result.error_rate > settings.sync.max_error_rate:
        result.status = "failed"
        result.message = (
            f"{result.failed} of {result.in_scope} records failed ({result.error_rate:.1%}), "
            f"above MDP_SYNC__MAX_ERROR_RATE {settings.sync.max_error_rate:.1%}; "
            "see activation.sync_errors"
        )
        raise SyncErrorRateError(result.message)


def _write(client: CrmClient, writing: list[ObjectPlan]) -> list[Future[WriteOutcome]]:
    """Each plan's write, as a finished future (its outcome or its error), in plan order.

    Different CRM objects are written side by side when the CRM runs writes as server-side
    jobs (Salesforce Bulk), so their waits overlap; mapped objects of one CRM object (churn per
    horizon and LTV on Account) go one after the other, as parallel jobs on the same records
    would contend for their row locks."""
    futures: list[Future[WriteOutcome]] = [Future() for _ in writing]
    groups: dict[str, list[int]] = {}
    for position, plan in enumerate(writing):
        groups.setdefault(plan.crm_object, []).append(position)

    def write_group(positions: list[int]) -> None:
        for position in positions:
            plan = writing[position]
            try:
                futures[position].set_result(client.upsert(plan.obj, plan.records))
            except Exception as error:  # noqa: BLE001 - the caller raises it after the others
                futures[position].set_exception(error)

    workers = max(1, min(client.parallel_objects, len(groups)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        wait([pool.submit(write_group, positions) for positions in groups.values()])
    return futures


def _apply(
    warehouse: Warehouse,
    plan: ObjectPlan,
    outcome: WriteOutcome,
    target: Target,
    result: SyncResult,
    open_errors: dict[tuple[str, str], state.OpenError],
    now: datetime,
) -> None:
    """Store what went through, record what failed, close the errors of retried successes."""
    written = {r.key: r.values for r in plan.records if r.key not in outcome.failures}
    name = plan.obj.name
    state.save_synced(warehouse, target, plan.crm_object, name, written, result.run_id, now)
    resolved = [key for key in written if (name, key) in open_errors]
    state.save_errors(
        warehouse,
        target,
        plan.crm_object,
        name,
        outcome.failures,
        resolved,
        open_errors,
        result.run_id,
        now,
    )
    result.sent += outcome.sent
    result.failed += len(outcome.failures)
    result.batches += outcome.batches
    result.job_ids += outcome.job_ids


def _record(
    warehouse: Warehouse, result: SyncResult, started: datetime, finished: datetime
) -> None:
    """The run's audit row and its diff (what was sent, or would be on a dry run)."""
    extra = {"run_id": result.run_id, "target": result.target, "dry_run": result.dry_run}
    state.save_diffs(warehouse, [{**extra, **d} for d in result.diffs])
    state.save_log(
        warehouse,
        {
            "run_id": result.run_id,
            "target": result.target,
            "status": result.status,
            "dry_run": result.dry_run,
            "forced": result.forced,
            "started_at": started,
            "finished_at": finished,
            "duration_seconds": round(result.seconds, 3),
            "records_in_scope": result.in_scope,
            "changed": result.changed,
            "cleared": result.left,
            "retried": result.retried,
            "sent": result.sent,
            "succeeded": result.succeeded,
            "failed": result.failed,
            "skipped": result.skipped,
            "error_rate": result.error_rate,
            "model_versions": ", ".join(sorted(result.model_versions)),
            "batches": result.batches,
            "job_ids": json.dumps(result.job_ids),
            "message": redact(result.message),
        },
    )
