"""The batch endpoints: `POST /crm/v3/objects/{type}/batch/{read,create,update,upsert}`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sandbox.emulators.http import Request, Response
from sandbox.emulators.hubspot import errors
from sandbox.emulators.hubspot.portal import Portal, as_text, find, now
from sandbox.emulators.hubspot.properties import iso
from sandbox.emulators.hubspot.store import CrmObject, ObjectStore, normalise

MAX_INPUTS = 100
#: With the `partial_batch` data fault, every n-th input of an upsert fails.
PARTIAL_BATCH_EVERY = 4
_SINGULAR = {"contacts": "CONTACT", "companies": "COMPANY"}


class BatchRejected(Exception):
    """The whole batch is refused (HubSpot validates a batch before applying any of it)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.body)
        self.response = response


def handle(
    portal: Portal, object_type: str, action: str, request: Request, partial: bool
) -> Response:
    """Dispatch one batch call; `partial` switches on the partial-failure data fault."""
    try:
        inputs, body = _inputs(request)
        if action == "read":
            return _read(portal, object_type, inputs, body)
        store = portal.stores[object_type]
        with store.lock:
            if action == "create":
                return _create(portal, store, inputs)
            if action == "update":
                return _update(portal, store, inputs)
            return _upsert(portal, store, inputs, partial)
    except BatchRejected as rejected:
        return rejected.response


def _inputs(request: Request) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    try:
        body = request.json()
    except json.JSONDecodeError as exc:
        raise BatchRejected(
            errors.validation(
                f"Invalid input JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}"
            )
        ) from None
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
        raise BatchRejected(errors.validation("Invalid input JSON: `inputs` must be a list"))
    if len(inputs) > MAX_INPUTS:
        raise BatchRejected(errors.batch_too_large(MAX_INPUTS))
    return inputs, body


def _respond(
    results: list[dict[str, Any]], failures: list[dict[str, Any]], started: dt.datetime, ok: int
) -> Response:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": iso(started),
        "completedAt": iso(now()),
    }
    if failures:
        body.update(numErrors=len(failures), errors=failures)
    return Response(207 if failures else ok, body)


def _values(portal: Portal, object_type: str, inputs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every input's properties as stored strings, or the whole batch refused with all problems."""
    cleaned, problems = [], []
    for item in inputs:
        values, found = portal.clean_values(object_type, item.get("properties") or {})
        cleaned.append(values)
        problems.extend(found)
    if problems:
        raise BatchRejected(errors.invalid_properties(problems))
    return cleaned


def _id_property(portal: Portal, object_type: str, item: dict[str, Any]) -> str:
    name = item.get("idProperty") or "hs_object_id"
    if name not in portal.registry.unique_id_properties(object_type):
        raise BatchRejected(
            errors.validation(
                f"Property {name} is not a unique identifier property of {object_type}"
            )
        )
    return str(name)


def _written(record: CrmObject, store: ObjectStore, values: dict[str, str], **extra: Any) -> dict:
    names = {*values, "createdate", "hs_object_id", store.modified_property}
    return record.to_json(sorted(names), **extra)


def _read(portal: Portal, object_type: str, inputs: list[dict], body: dict) -> Response:
    started = now()
    item = {"idProperty": body.get("idProperty")}
    id_property = _id_property(portal, object_type, item)
    names = portal.returned_names(object_type, body.get("properties"))
    store = portal.stores[object_type]
    results, missing = [], []
    with store.lock:
        for wanted in (str(i.get("id", "")) for i in inputs):
            record = find(store, id_property, wanted)
            if record is None:
                missing.append(wanted)
            else:
                results.append(record.to_json(names))
    return _respond(results, _not_found(object_type, missing), started, 200)


def _not_found(object_type: str, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    message = (
        f"Could not get some {_SINGULAR[object_type]} objects, they may be deleted or not exist. "
        "Check that ids are valid."
    )
    return [errors.item_error("OBJECT_NOT_FOUND", message, ids)]


def _create(portal: Portal, store: ObjectStore, inputs: list[dict]) -> Response:
    started = now()
    cleaned = _values(portal, store.object_type, inputs)
    if store.object_type == "contacts":
        by_email = store.lookup("email")
        for values in cleaned:
            existing = by_email.get(values.get("email", ""))
            if existing is not None:
                raise BatchRejected(
                    errors.error(
                        409, f"Contact already exists. Existing ID: {existing.id}", "CONFLICT"
                    )
                )
    results = []
    for values in cleaned:
        record = store.add(values, started)
        results.append(_written(record, store, values))
    return _respond(results, [], started, 201)


def _update(portal: Portal, store: ObjectStore, inputs: list[dict]) -> Response:
    started = now()
    cleaned = _values(portal, store.object_type, inputs)
    results, missing = [], []
    for item, values in zip(inputs, cleaned, strict=True):
        id_property = _id_property(portal, store.object_type, item)
        record = find(store, id_property, str(item.get("id", "")))
        if record is None:
            missing.append(str(item.get("id", "")))
            continue
        store.write(record, values, started)
        results.append(_written(record, store, values))
    return _respond(results, _not_found(store.object_type, missing), started, 200)


def _upsert(portal: Portal, store: ObjectStore, inputs: list[dict], partial: bool) -> Response:
    """Create or update by a unique property. Writing identical values is a no-op: the record's
    `updatedAt` and last-modified property keep their previous values."""
    started = now()
    cleaned = _values(portal, store.object_type, inputs)
    keys = [(_id_property(portal, store.object_type, i), str(i.get("id", ""))) for i in inputs]
    _reject_duplicates(keys)
    lookups = {name: store.lookup(name) for name, _ in keys}
    results, failures = [], []
    for position, ((id_property, key), values) in enumerate(zip(keys, cleaned, strict=True), 1):
        if partial and position % PARTIAL_BATCH_EVERY == 0:
            failures.append(_locked(store.object_type, key))
            continue
        record = lookups[id_property].get(normalise(id_property, key))
        if record is not None:
            store.write(record, values, started)
            results.append(_written(record, store, values, new=False))
        elif id_property == "hs_object_id":
            failures.extend(_not_found(store.object_type, [key]))
        else:
            values = {**values, id_property: as_text(id_property, key)}
            record = store.add(values, started)
            lookups[id_property][normalise(id_property, key)] = record
            results.append(_written(record, store, values, new=True))
    return _respond(results, failures, started, 200)


def _reject_duplicates(keys: list[tuple[str, str]]) -> None:
    seen: set[tuple[str, str]] = set()
    duplicates: list[str] = []
    for name, key in keys:
        marker = (name, normalise(name, key))
        if marker in seen:
            duplicates.append(key)
        seen.add(marker)
    if duplicates:
        raise BatchRejected(
            errors.validation(
                f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique"
            )
        )


def _locked(object_type: str, key: str) -> dict[str, Any]:
    """The partial-failure fault: a transient per-record conflict, retryable on its own."""
    message = (
        f"Could not update {_SINGULAR[object_type]} {key}: the record is being modified by "
        "another request. Retry this input."
    )
    return errors.item_error("CONFLICT", message, [key])
