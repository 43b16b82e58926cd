"""REST sObject resources: global and per-object describe, one record, and sObject Collections."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, not_found
from .store import SObjectTable, Store
from .values import from_json, to_json
from .writes import RowError, Writer, check_updatable

MAX_COLLECTION = 200
_ROLLED_BACK = RowError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)


class SObjectsService:
    """describe, GET/PATCH sobjects/<Object>/<Id>, PATCH composite/sobjects."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def table(self, name: str) -> SObjectTable:
        table = self.store.resolve(name)
        if table is None:
            raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {name}")
        return table

    def global_describe(self, version: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": MAX_COLLECTION,
            "sobjects": [t.schema.summary(version) for t in self.store.tables.values()],
        }

    def describe(self, name: str, version: str) -> dict[str, Any]:
        return self.table(name).schema.describe(version)

    def get(self, name: str, record_id: str, fields: str | None, version: str) -> dict[str, Any]:
        table = self.table(name)
        wanted = [f.strip() for f in fields.split(",")] if fields else list(table.schema.fields)
        with self.store.locked():
            position = table.index.get(record_id)
            if position is None or table.rows[position]["IsDeleted"]:
                raise not_found()
            row = dict(table.rows[position])
        record: dict[str, Any] = {
            "attributes": {
                "type": table.schema.name,
                "url": f"/services/data/v{version}/sobjects/{table.schema.name}/{record_id}",
            }
        }
        for name_ in wanted:
            spec = table.schema.resolve(name_)
            if spec is None:
                raise ApiError(
                    400, "INVALID_FIELD", f"No such column '{name_}' on sobject of type {name}"
                )
            record[spec.name] = to_json(row.get(spec.name))
        return record

    def update(self, name: str, record_id: str, body: dict[str, Any]) -> None:
        """PATCH one record (204); errors are the REST error array."""
        table = self.table(name)
        values = _typed(table, {**body, "Id": record_id}, strict=True)
        with self.store.locked():
            if record_id not in table.index:
                raise not_found()
            try:
                Writer(self.store, table, "update", "Id").write(values)
            except RowError as error:
                raise ApiError(400, error.code, error.message, list(error.fields)) from error

    def update_collection(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """PATCH composite/sobjects: up to 200 records by Id, optionally all-or-none."""
        records = body.get("records") or []
        if len(records) > MAX_COLLECTION:
            raise ApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {MAX_COLLECTION} records into "
                "this call",
            )
        all_or_none = bool(body.get("allOrNone"))
        with self.store.locked():
            results = [self._check(record) for record in records]
            if all_or_none and any(isinstance(r, RowError) for r in results):
                return [
                    _result(None, r if isinstance(r, RowError) else _ROLLED_BACK) for r in results
                ]
            return [
                self._apply(r) if not isinstance(r, RowError) else _result(None, r) for r in results
            ]

    def _check(self, record: dict[str, Any]) -> RowError | tuple[SObjectTable, dict[str, Any]]:
        """Validate one collection record without writing it."""
        table = self.store.resolve(str((record.get("attributes") or {}).get("type", "")))
        record_id = record.get("id") or record.get("Id")
        if table is None:
            return RowError("INVALID_TYPE", "Must send a concrete entity type.")
        position = table.index.get(str(record_id))
        if position is None:
            return RowError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        fields = {k: v for k, v in record.items() if k not in ("attributes", "id")}
        try:
            check_updatable(table, table.rows[position])
            values = _typed(table, {**fields, "Id": record_id}, strict=False)
            writer = Writer(self.store, table, "update", "Id")
            writer.check_writable(values)
            values = writer.checked_values(values)
        except (RowError, ApiError) as error:
            return error if isinstance(error, RowError) else RowError(error.code, error.message)
        return table, values

    def _apply(self, checked: tuple[SObjectTable, dict[str, Any]]) -> dict[str, Any]:
        table, values = checked
        return _result(Writer(self.store, table, "update", "Id").write(values).id, None)


def _typed(table: SObjectTable, body: dict[str, Any], strict: bool) -> dict[str, Any]:
    """JSON field values → typed values; unknown fields and bad values are INVALID_FIELD /
    JSON_PARSER_ERROR-like failures, raised as ApiError (strict) or RowError."""
    values: dict[str, Any] = {}
    for name, value in body.items():
        spec = table.schema.resolve(name)
        if spec is None:
            message = f"No such column '{name}' on sobject of type {table.schema.name}"
            if strict:
                raise ApiError(400, "INVALID_FIELD", message)
            raise RowError("INVALID_FIELD", message, (name,))
        try:
            values[spec.name] = from_json(value, spec)
        except ValueError as exc:
            message = f"{spec.name}: value not of required type: {value}"
            if strict:
                raise ApiError(400, "INVALID_TYPE_ON_FIELD_IN_RECORD", message) from exc
            raise RowError("INVALID_TYPE_ON_FIELD_IN_RECORD", message, (spec.name,)) from exc
    return values


def _result(record_id: str | None, error: RowError | None) -> dict[str, Any]:
    if error is None:
        return {"id": record_id, "success": True, "errors": []}
    detail = {"statusCode": error.code, "message": error.message, "fields": list(error.fields)}
    return {"success": False, "errors": [detail]}
