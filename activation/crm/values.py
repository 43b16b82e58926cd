"""Read the mapped score rows from the warehouse as canonical values, and diff them with state."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mdp.warehouse import Warehouse

from .errors import MappingError
from .mapping import JOIN_SEPARATOR, FieldMap, ObjectMap, Target
from .records import Value


@dataclass
class SourceRows:
    """Each key's CRM field values (canonical), and the model versions behind them."""

    records: dict[str, dict[str, Value]] = field(default_factory=dict)
    model_versions: set[str] = field(default_factory=set)


def canonical(value: Any, kind: str) -> Value:
    """A warehouse value as the JSON-able form state keeps and clients format."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if kind == "number":
        return float(value)
    if kind == "integer":
        return math.floor(float(value) + 0.5)  # half up; the CRM keeps exactly what it is sent
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if kind == "date":
        return (value if isinstance(value, dt.date) else pd.Timestamp(value).date()).isoformat()
    return str(value)


def _needed(obj: ObjectMap, target: Target) -> list[str]:
    columns = [obj.source.key, *obj.source.filter]
    if obj.source.snapshot:
        columns.append(obj.source.snapshot)
    for field_map, _ in obj.fields_for(target):
        columns.extend(field_map.columns)
    if "model_version" not in columns:
        columns.append("model_version")
    return list(dict.fromkeys(columns))


def read_source(warehouse: Warehouse, obj: ObjectMap, target: Target) -> SourceRows | None:
    """Each key's row of the latest snapshot after the filters, mapped to CRM fields; None when
    the score table does not exist yet (that model has not scored)."""
    table = obj.source.table
    if not warehouse.table_exists(table):
        return None
    name = warehouse.qualified_name(table)
    present = set(warehouse.query(f"select * from {name} limit 0").column_names)
    needed = _needed(obj, target)
    missing = [c for c in needed if c not in present and c != "model_version"]
    if missing:
        raise MappingError(
            f"mapping {obj.name!r}: {table} has no column(s) {', '.join(missing)}; "
            f"it has {', '.join(sorted(present))}"
        )
    columns = ", ".join(c for c in needed if c in present)
    data = warehouse.query(f"select {columns} from {name}")
    for column, wanted in obj.source.filter.items():
        data = data.filter(pc.equal(data[column], pa.scalar(wanted)))
    if obj.source.snapshot and data.num_rows:
        # only the latest snapshot is in scope: who left it (converted, churned) is not sent
        latest = pc.max(data[obj.source.snapshot])
        data = data.filter(pc.equal(data[obj.source.snapshot], latest))
    fields = [(name, _field_values(field_map, data)) for field_map, name in obj.fields_for(target)]
    versions = data["model_version"].to_pylist() if "model_version" in present else []
    rows = SourceRows()
    for i, key in enumerate(data[obj.source.key].to_pylist()):
        if key is None or str(key) in rows.records:  # the latest row per key wins
            continue
        rows.records[str(key)] = {name: values[i] for name, values in fields}
        if versions and versions[i] is not None:
            rows.model_versions.add(f"{obj.name}:{versions[i]}")
    return rows


def _field_values(field_map: FieldMap, data: pa.Table) -> list[Value]:
    """One CRM field's canonical value for every row, a column at a time."""
    if field_map.join:
        parts = [_column(data[c], "string") for c in field_map.join]
        rows = zip(*parts, strict=True)
        return [JOIN_SEPARATOR.join(str(p) for p in row if p) or None for row in rows]
    if field_map.template is not None:
        named = {c: _column(data[c], "string") for c in field_map.columns}
        return [
            None
            if any(named[c][i] is None for c in named)
            else field_map.template.format(**{c: named[c][i] for c in named})
            for i in range(data.num_rows)
        ]
    return _column(data[field_map.columns[0]], field_map.type)


def _column(column: pa.ChunkedArray, kind: str) -> list[Value]:
    """`canonical` over a column, with Arrow doing the common types in bulk."""
    arrow_type = column.type
    if kind == "datetime" and pa.types.is_timestamp(arrow_type):
        millis = column.cast(pa.timestamp("ms", tz="UTC"), safe=False)  # truncates, as canonical
        text = pc.strftime(millis, format="%Y-%m-%dT%H:%M:%S").to_pylist()
        return [None if t is None else t + "Z" for t in text]
    if kind == "number" and (pa.types.is_floating(arrow_type) or pa.types.is_integer(arrow_type)):
        numbers = column.cast(pa.float64()).to_pylist()
        return [None if v is None or math.isnan(v) else v for v in numbers]
    if kind == "string" and pa.types.is_string(arrow_type):
        return column.to_pylist()
    return [canonical(v, kind) for v in column.to_pylist()]


def changed_fields(
    obj: ObjectMap,
    target: Target,
    old: Mapping[str, Value] | None,
    new: Mapping[str, Value],
    min_score_change: float,
) -> list[str]:
    """The CRM fields whose change makes this record worth sending (all of them when the record
    was never synced). Numbers count only when they moved by their minimum change."""
    if old is None:
        return [name for _, name in obj.fields_for(target)]
    changed = []
    for field_map, name in obj.fields_for(target):
        before, after = old.get(name), new.get(name)
        if not field_map.triggers_sync or before == after:
            continue
        numbers = isinstance(before, int | float) and isinstance(after, int | float)
        if numbers and abs(float(after) - float(before)) < field_map.threshold(min_score_change):  # type: ignore[arg-type]
            continue
        changed.append(name)
    return changed
