"""Reading a GA4 BigQuery export back into the flat `ga4_events` table."""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.world.channels import DIRECT_CAMPAIGN, DIRECT_MEDIUM, DIRECT_SOURCE
from sandbox.world.ga4_events import GA4_EVENTS_SCHEMA
from sandbox.world.ga4_params import FLAT_PARAMS, SOURCE_PARAMS
from sandbox.world.strings import encode_strings

_DIRECT = {
    "session_source": DIRECT_SOURCE,
    "session_medium": DIRECT_MEDIUM,
    "session_campaign": DIRECT_CAMPAIGN,
}


def read_ga4_export(source: str | PathLike[str] | Iterable[str | PathLike[str]]) -> pa.Table:
    """Flatten export files (a directory of events_*.parquet, or paths) into `ga4_events`."""
    paths = _paths(source)
    export = pa.concat_tables([pq.read_table(p) for p in paths]) if paths else None
    if export is None or export.num_rows == 0:
        return GA4_EVENTS_SCHEMA.empty_table()
    params = _params(export)
    columns: dict[str, pa.Array] = {
        "event_date": pc.strptime(export["event_date"], "%Y%m%d", "s").cast(pa.date32()),
        "event_timestamp": export["event_timestamp"],
        "event_name": export["event_name"],
        "user_pseudo_id": export["user_pseudo_id"],
        "user_id": export["user_id"],
        "session_engaged": pc.equal(params["session_engaged"], "1"),
        "device_category": pc.struct_field(export["device"], "category"),
        "operating_system": pc.struct_field(export["device"], "operating_system"),
        "browser": pc.struct_field(export["device"], ["web_info", "browser"]),
        "country": pc.struct_field(export["geo"], "country"),
        "city": pc.struct_field(export["geo"], "city"),
        "transaction_id": pc.struct_field(export["ecommerce"], "transaction_id"),
        **_item_columns(export),
        **_session_columns(export, params),
    }
    for key, (_, column) in FLAT_PARAMS.items():
        if column not in columns:
            columns[column] = params[key]
    columns["event_value"] = params["value"]
    arrays = []
    for field in GA4_EVENTS_SCHEMA:
        array = columns[field.name]
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        if pa.types.is_dictionary(field.type):
            array = encode_strings(array.cast(pa.string()))
        arrays.append(array.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=GA4_EVENTS_SCHEMA)


def _paths(source: str | PathLike[str] | Iterable[str | PathLike[str]]) -> list[Path]:
    if isinstance(source, (str, PathLike)):
        root = Path(source)
        return sorted(root.glob("events_*.parquet")) if root.is_dir() else [root]
    return sorted(Path(p) for p in source)


def _params(export: pa.Table) -> dict[str, pa.Array]:
    """One array per event_params key (null where an event lacks the key)."""
    lists = export["event_params"].combine_chunks()
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy()
    keys = pc.struct_field(flat, "key").to_numpy(zero_copy_only=False)
    value = pc.struct_field(flat, "value")
    wanted = {key: kind for key, (kind, _) in FLAT_PARAMS.items()}
    wanted.update({key: "string_value" for key in SOURCE_PARAMS})
    wanted["session_engaged"] = "string_value"
    out = {}
    for key, kind in wanted.items():
        position = np.full(export.num_rows, -1)
        hits = np.flatnonzero(keys == key)
        position[parent[hits]] = hits
        out[key] = pc.take(pc.struct_field(value, kind), pa.array(position, mask=position < 0))
    return out


def _session_columns(export: pa.Table, params: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """Session traffic source from each session's session_start, on every event of it."""
    pseudo = pc.dictionary_encode(export["user_pseudo_id"].combine_chunks())
    session_id = params["ga_session_id"].to_numpy(zero_copy_only=False)
    key = (pseudo.indices.to_numpy().astype(np.int64) << 32) | session_id.astype(np.int64)
    starts = np.flatnonzero(
        pc.equal(export["event_name"], "session_start").to_numpy(zero_copy_only=False)
    )
    start_of = dict(zip(key[starts].tolist(), starts.tolist(), strict=True))
    source_row = np.array([start_of.get(k, -1) for k in key.tolist()], dtype=np.int64)
    row = pa.array(source_row, mask=source_row < 0)
    gclid = pc.struct_field(export["collected_traffic_source"], "gclid")
    columns = {"gclid": pc.take(gclid, row)}
    for key_name, column in SOURCE_PARAMS.items():
        values = pc.take(params[key_name], row)
        if column in _DIRECT:  # direct sessions carry no source parameters
            values = pc.if_else(pc.is_null(values), pa.scalar(_DIRECT[column]), values)
        columns[column] = values
    return columns


def _item_columns(export: pa.Table) -> dict[str, pa.Array]:
    items = export["items"].combine_chunks()
    first = pc.list_flatten(items)
    parent = pc.list_parent_indices(items).to_numpy()
    position = np.full(export.num_rows, -1)
    position[parent[::-1]] = np.arange(len(parent))[::-1]  # first item of each event
    row = pa.array(position, mask=position < 0)
    return {
        "item_id": pc.take(pc.struct_field(first, "item_id"), row),
        "item_name": pc.take(pc.struct_field(first, "item_name"), row),
        "item_price": pc.take(pc.struct_field(first, "price"), row),
        "item_quantity": pc.take(pc.struct_field(first, "quantity"), row),
    }
