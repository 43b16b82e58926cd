"""Record writes shared by Bulk 2.0 and REST: insert, update, upsert (Id or external id), delete."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .auth import INTEGRATION_USER_ID
from .schema import NUMBER_TYPES, STRING_TYPES, FieldSpec
from .store import SObjectTable, Store
from .values import UNCHANGED

OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")


class RowError(Exception):
    """A per-record failure as Bulk failedResults and REST collections report it."""

    def __init__(self, code: str, message: str, fields: tuple[str, ...] = ()) -> None:
        super().__init__(f"{code}:{message}")
        self.code = code
        self.message = message
        self.fields = fields

    def bulk_text(self) -> str:
        """The sf__Error column: CODE:message:fields."""
        return f"{self.code}:{self.message}:{','.join(self.fields) or '--'}"


@dataclass(frozen=True)
class Outcome:
    id: str
    created: bool


class Writer:
    """Applies a batch of records to one sObject under the store lock."""

    def __init__(self, store: Store, table: SObjectTable, operation: str, key_field: str) -> None:
        self.store = store
        self.table = table
        self.operation = operation
        self.key = key_field
        self._by_key: dict[Any, list[int]] | None = None

    def write(self, values: dict[str, Any]) -> Outcome:
        """Apply one record (typed values keyed by canonical field name) or raise RowError."""
        self.check_writable(values)
        position = self._target(values)
        if self.operation in ("delete", "hardDelete"):
            return self._delete(position)
        values = self.checked_values(values)
        if position is None:
            return self._insert(values)
        row = self.table.rows[position]
        check_updatable(self.table, row)
        self._assign(row, values)
        return Outcome(row["Id"], False)

    def checked_values(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values as the org stores them, or RowError where a field's metadata refuses one:
        a value a restricted picklist does not list, more whole digits than the number field
        holds, text longer than the field."""
        out = dict(values)
        for name, value in values.items():
            spec = self.table.schema.fields[name]
            if value is None or value is UNCHANGED:
                continue
            if spec.type == "picklist" and spec.restricted and value not in spec.picklist:
                raise RowError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{spec.label}: bad value for restricted picklist field: {value}",
                    (name,),
                )
            if spec.type in NUMBER_TYPES and spec.type != "int":
                out[name] = _number(spec, float(value))
            if spec.type in STRING_TYPES and len(str(value)) > spec.max_length:
                raise RowError(
                    "STRING_TOO_LONG",
                    f"{spec.label}: data value too large: {str(value)[:40]} "
                    f"(max length={spec.max_length})",
                    (name,),
                )
        return out

    def check_writable(self, values: dict[str, Any]) -> None:
        fields = self.table.schema.fields
        locked = tuple(
            name for name in values if name not in ("Id", self.key) and not fields[name].writable
        )
        if locked and self.operation not in ("delete", "hardDelete"):
            raise RowError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(locked)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                locked,
            )

    def _target(self, values: dict[str, Any]) -> int | None:
        """Position of the record the row addresses; None means 'create one'."""
        if self.operation == "insert":
            return None
        key_value = values.get(self.key)
        if key_value in (None, UNCHANGED):
            if self.operation == "upsert" and self.key == "Id":
                return None
            raise RowError("MISSING_ARGUMENT", f"{self.key} not specified", (self.key,))
        if self.key == "Id":
            position = self.table.index.get(str(key_value))
            if position is None:
                raise RowError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
            return position
        return self._by_external_id(key_value)

    def _by_external_id(self, key_value: Any) -> int | None:
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for position, row in enumerate(self.table.rows):
                if row.get(self.key) is not None:
                    self._by_key[row[self.key]].append(position)
        matches = self._by_key.get(key_value, [])
        if len(matches) > 1:
            ids = ", ".join(self.table.rows[p]["Id"] for p in matches)
            raise RowError(
                "DUPLICATE_EXTERNAL_ID",
                f"{self.key}: more than one record found for external id field: [{ids}]",
                (self.key,),
            )
        return matches[0] if matches else None

    def _insert(self, values: dict[str, Any]) -> Outcome:
        stamp = self.store.stamp()
        row: dict[str, Any] = {
            name: _default(spec) for name, spec in self.table.schema.fields.items()
        }
        row.update(Id=self.table.new_id(), IsDeleted=False, CreatedDate=stamp)
        if "CreatedById" in row:
            row["CreatedById"] = INTEGRATION_USER_ID
        self._assign(row, {k: v for k, v in values.items() if k != "Id"}, stamp)
        self.table.append(row)
        if self._by_key is not None and row.get(self.key) is not None:
            self._by_key[row[self.key]].append(len(self.table.rows) - 1)
        return Outcome(row["Id"], True)

    def _assign(self, row: dict[str, Any], values: dict[str, Any], stamp: Any = None) -> None:
        row.update((name, value) for name, value in values.items() if value is not UNCHANGED)
        self._touch(row, stamp or self.store.stamp())

    def _touch(self, row: dict[str, Any], stamp: Any) -> None:
        for name in ("LastModifiedDate", "SystemModstamp"):
            row[name] = stamp
        if "LastModifiedById" in row:
            row["LastModifiedById"] = INTEGRATION_USER_ID

    def _delete(self, position: int | None) -> Outcome:
        assert position is not None  # delete jobs always address a record
        row = self.table.rows[position]
        if row["IsDeleted"]:
            raise RowError("ENTITY_IS_DELETED", "entity is deleted")
        if self.operation == "hardDelete":
            del self.table.rows[position]
            self.table.reindex()
            self._by_key = None
        else:
            row["IsDeleted"] = True
            self._touch(row, self.store.stamp())
        return Outcome(row["Id"], False)


def check_updatable(table: SObjectTable, row: dict[str, Any]) -> None:
    """RowError when the org refuses any update of this record: deleted, or a converted lead
    (conversion makes a lead read-only)."""
    if row["IsDeleted"]:
        raise RowError("ENTITY_IS_DELETED", "entity is deleted")
    if table.schema.name == "Lead" and row.get("IsConverted"):
        raise RowError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")


def _number(spec: FieldSpec, value: float) -> float:
    """The value as sent (Salesforce enforces decimal places in its UI only: an API write keeps
    them), or NUMBER_OUTSIDE_VALID_RANGE beyond the field's whole digits."""
    whole_digits = spec.number_precision - spec.number_scale
    if abs(Decimal(repr(value))) >= Decimal(10) ** whole_digits:
        raise RowError(
            "NUMBER_OUTSIDE_VALID_RANGE",
            f"{spec.label}: value outside of valid range on numeric field: {value}",
            (spec.name,),
        )
    return value


def _default(spec: FieldSpec) -> Any:
    return False if spec.type == "boolean" else None
