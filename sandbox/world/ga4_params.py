"""event_params of the GA4 export: which keys each event carries and with which value type."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sandbox.world import ga4_schema as gs

if TYPE_CHECKING:
    from sandbox.world.ga4_sessions import SessionIndex

STRING, INT, DOUBLE = "string_value", "int_value", "double_value"
# Traffic-source keys GA4 puts on the events that open a session (session_start, first_visit,
# landing page_view); the flat table's session_* columns are read back from session_start.
SOURCE_PARAMS = {
    "source": "session_source",
    "medium": "session_medium",
    "campaign": "session_campaign",
    "content": "session_content",
    "term": "session_term",
}
FLAT_PARAMS = {  # key → (value type, flat column)
    "ga_session_id": (INT, "ga_session_id"),
    "ga_session_number": (INT, "ga_session_number"),
    "page_location": (STRING, "page_location"),
    "page_referrer": (STRING, "page_referrer"),
    "page_title": (STRING, "page_title"),
    "engagement_time_msec": (INT, "engagement_time_msec"),
    "value": (DOUBLE, "event_value"),
    "currency": (STRING, "currency"),
    "transaction_id": (STRING, "transaction_id"),
    "experiment_id": (STRING, "experiment_id"),
    "variant_id": (STRING, "variant_id"),
    "form_id": (STRING, "form_id"),
    "form_name": (STRING, "form_name"),
}


class _Param(NamedTuple):
    key: str
    kind: str
    values: pa.Array  # aligned with the exported rows
    present: np.ndarray


def event_params(events: pa.Table, index: SessionIndex, rows: np.ndarray) -> pa.ListArray:
    """list<struct<key, value<string_value, int_value, float_value, double_value>>> per row."""
    take = pa.array(rows)
    params = [
        _flat_param(events, key, kind, column, take) for key, (kind, column) in FLAT_PARAMS.items()
    ]
    engaged = events["session_engaged"].to_numpy()[rows]
    params.append(
        _Param(
            "session_engaged",
            STRING,
            pa.array(np.where(engaged, "1", "0")),
            np.ones(len(rows), dtype=bool),
        )
    )
    opens = index.entry[rows] & index.non_direct[rows]
    for key, column in SOURCE_PARAMS.items():
        values = pc.take(events[column], take).combine_chunks().cast(pa.string())
        params.append(_Param(key, STRING, values, opens & _valid(values)))
    name = pc.take(events["event_name"], take).combine_chunks().cast(pa.string())
    scroll = pc.equal(name, "scroll").to_numpy(zero_copy_only=False)
    params.append(_Param("percent_scrolled", INT, pa.array(np.full(len(rows), 90)), scroll))
    params.append(
        _Param("entrances", INT, pa.array(np.ones(len(rows), np.int64)), index.landing[rows])
    )
    return _assemble(params, len(rows))


def _valid(values: pa.Array) -> np.ndarray:
    return pc.is_valid(values).to_numpy(zero_copy_only=False)


def _flat_param(events: pa.Table, key: str, kind: str, column: str, take: pa.Array) -> _Param:
    values = pc.take(events[column], take).combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    return _Param(key, kind, values, _valid(values))


def _assemble(params: list[_Param], n: int) -> pa.ListArray:
    parent = np.concatenate([np.flatnonzero(p.present) for p in params])
    rank = np.concatenate([np.full(p.present.sum(), k) for k, p in enumerate(params)])
    order = np.lexsort((rank, parent))
    columns = {}
    for kind, type_ in ((STRING, pa.string()), (INT, pa.int64()), (DOUBLE, pa.float64())):
        parts = [
            pc.take(p.values, pa.array(np.flatnonzero(p.present))).cast(type_)
            if p.kind == kind
            else pa.nulls(int(p.present.sum()), type_)
            for p in params
        ]
        columns[kind] = pc.take(pa.concat_arrays(parts), pa.array(order))
    keys = np.concatenate([np.full(p.present.sum(), p.key, dtype=object) for p in params])
    value = gs.struct_array(gs.PARAM_VALUE, len(order), columns)
    item = gs.struct_array(
        gs.EVENT_PARAM, len(order), {"key": pa.array(keys[order], pa.string()), "value": value}
    )
    offsets = np.r_[0, np.cumsum(np.bincount(parent, minlength=n))].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), item)
