"""GA4 BigQuery export files (events_YYYYMMDD.parquet) rendered from the flat event table."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sandbox.world import ga4_schema as gs
from sandbox.world.ga4_params import event_params
from sandbox.world.ga4_sessions import SessionIndex, index_sessions
from sandbox.world.restatement import ga4_visible
from sandbox.world.vocab import CITY_NAMES, CITY_REGIONS, COUNTRIES, DEVICES

if TYPE_CHECKING:
    from sandbox.world.world import World

STREAM_ID = "4178231234"
_LANGUAGE = {
    "Germany": "de-de",
    "France": "fr-fr",
    "Spain": "es-es",
    "Brazil": "pt-br",
    "Netherlands": "nl-nl",
    "Sweden": "sv-se",
}


def write_ga4_export(
    world: World, out_dir: str | PathLike[str], as_of: date | None = None
) -> list[Path]:
    """Write one events_YYYYMMDD.parquet per day in the GA4 BigQuery export schema.

    With `as_of`, only what the export holds when read at 00:00 UTC that day is written (see
    `platform_view`); every exported row is identical to its final version.
    """
    events = world.tables["ga4_events"].combine_chunks()
    index = index_sessions(world, events)
    visible = (
        np.ones(events.num_rows, dtype=bool)
        if as_of is None
        else ga4_visible(events, as_of, world.config.ga4_processing_days).to_numpy(
            zero_copy_only=False
        )
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    day = events["event_date"].to_numpy().astype("datetime64[D]")
    bounds = np.flatnonzero(np.r_[True, day[1:] != day[:-1], True])
    written = []
    for lo, hi in pairwise(bounds):
        rows = lo + np.flatnonzero(visible[lo:hi])
        if not len(rows):
            continue
        file = out / f"events_{str(day[lo]).replace('-', '')}.parquet"
        pq.write_table(_export_rows(world, events, index, rows), file, compression="snappy")
        written.append(file)
    return written


def _text(events: pa.Table, name: str, rows: pa.Array) -> pa.Array:
    return pc.take(events[name], rows).combine_chunks().cast(pa.string())


def _export_rows(world: World, events: pa.Table, index: SessionIndex, rows: np.ndarray) -> pa.Table:
    """The export table of the given flat-table rows (one day)."""
    n = len(rows)
    take = pa.array(rows)
    name = _text(events, "event_name", take)
    value = pc.take(events["event_value"], take).combine_chunks()
    columns = {
        "event_date": pc.strftime(pc.take(events["event_date"], take).combine_chunks(), "%Y%m%d"),
        "event_timestamp": pc.take(events["event_timestamp"], take).combine_chunks(),
        "event_name": name,
        "event_params": event_params(events, index, rows),
        "event_previous_timestamp": pa.nulls(n, pa.int64()),
        "event_value_in_usd": value,
        "event_bundle_sequence_id": pa.array(index.bundle[rows]),
        "event_server_timestamp_offset": pa.array(index.server_offset[rows]),
        "user_id": _text(events, "user_id", take),
        "user_pseudo_id": _text(events, "user_pseudo_id", take),
        "privacy_info": _privacy(index, rows),
        "user_properties": _user_properties(events, take),
        "user_first_touch_timestamp": pa.array(index.first_touch[rows]),
        "user_ltv": _ltv(index, rows),
        "device": _device(world, events, take),
        "geo": _geo(events, take),
        "app_info": pa.nulls(n, gs.APP_INFO),
        "traffic_source": index.first_user_source(events, rows),
        "stream_id": pa.array([STREAM_ID] * n),
        "platform": pa.array(["WEB"] * n),
        "event_dimensions": pa.nulls(n, gs.EVENT_DIMENSIONS),
        "ecommerce": _ecommerce(events, take, name),
        "items": _items(events, take),
        "collected_traffic_source": index.collected(events, rows),
        "is_active_user": pa.array(index.active[rows]),
        "batch_event_index": pa.array(index.batch_event[rows]),
        "batch_page_id": pa.array(index.batch_page[rows]),
        "batch_ordering_id": pa.array(index.batch_order[rows]),
        "session_traffic_source_last_click": index.last_click(events, rows),
        "publisher": pa.nulls(n, gs.PUBLISHER),
    }
    return pa.table(columns, schema=gs.EXPORT_SCHEMA)


def _privacy(index: SessionIndex, rows: np.ndarray) -> pa.StructArray:
    ads = np.where(index.ads_consent[rows], "Yes", "No")
    n = len(rows)
    return gs.struct_array(
        gs.PRIVACY_INFO,
        n,
        {
            "analytics_storage": pa.array(["Yes"] * n),
            "ads_storage": pa.array(ads),
            "uses_transient_token": pa.array(["No"] * n),
        },
    )


def _user_properties(events: pa.Table, take: pa.Array) -> pa.ListArray:
    """Signed-in users carry a `user_type` property, set when the user id was first seen."""
    user_id = pc.take(events["user_id"], take).combine_chunks()
    has_id = pc.is_valid(user_id).to_numpy(zero_copy_only=False)
    timestamp = pc.take(events["event_timestamp"], take).combine_chunks()
    rows = np.flatnonzero(has_id)
    value = gs.struct_array(
        gs.USER_PROPERTY.field("value").type,
        len(rows),
        {
            "string_value": pa.array(["registered"] * len(rows)),
            "set_timestamp_micros": pc.take(timestamp, pa.array(rows)),
        },
    )
    item = gs.struct_array(
        gs.USER_PROPERTY, len(rows), {"key": pa.array(["user_type"] * len(rows)), "value": value}
    )
    offsets = np.r_[0, np.cumsum(has_id)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), item)


def _ltv(index: SessionIndex, rows: np.ndarray) -> pa.StructArray:
    revenue = index.ltv[rows]
    missing = revenue <= 0
    return gs.struct_array(
        gs.USER_LTV,
        len(rows),
        {"revenue": pa.array(revenue), "currency": pa.array(["USD"] * len(rows))},
        mask=pa.array(missing),
    )


def _lookup(column: pa.Array, mapping: dict[str, str | None]) -> pa.Array:
    """Map a dictionary-encoded string column through a small Python dict."""
    dictionary = column.dictionary.to_pylist()
    mapped = pa.array([mapping.get(v) for v in dictionary], pa.string())
    return pc.take(mapped, column.indices)


def _device(world: World, events: pa.Table, take: pa.Array) -> pa.StructArray:
    category = pc.take(events["device_category"], take).combine_chunks()
    system = pc.take(events["operating_system"], take).combine_chunks().cast(pa.string())
    browser = pc.take(events["browser"], take).combine_chunks().cast(pa.string())
    key = pc.binary_join_element_wise(category.cast(pa.string()), system, browser, "|")
    key = pc.dictionary_encode(key)
    by_key = {f"{d.category}|{d.operating_system}|{d.browser}": d for d in DEVICES}

    def field(attribute: str) -> pa.Array:
        return _lookup(key, {k: getattr(d, attribute) for k, d in by_key.items()})

    country = pc.take(events["country"], take).combine_chunks()
    n = len(take)
    web_info = gs.struct_array(
        gs.DEVICE.field("web_info").type,
        n,
        {
            "browser": browser,
            "browser_version": field("browser_version"),
            "hostname": pa.array([world.config.site_host] * n),
        },
    )
    return gs.struct_array(
        gs.DEVICE,
        n,
        {
            "category": category.cast(pa.string()),
            "mobile_brand_name": field("brand"),
            "mobile_model_name": field("model"),
            "mobile_marketing_name": field("model"),
            "operating_system": system,
            "operating_system_version": field("os_version"),
            "language": _lookup(
                country, {c.name: _LANGUAGE.get(c.name, "en-us") for c in COUNTRIES}
            ),
            "is_limited_ad_tracking": pa.array(["No"] * n),
            "browser": browser,
            "browser_version": field("browser_version"),
            "web_info": web_info,
        },
    )


def _geo(events: pa.Table, take: pa.Array) -> pa.StructArray:
    country = pc.take(events["country"], take).combine_chunks()
    city = pc.take(events["city"], take).combine_chunks()
    return gs.struct_array(
        gs.GEO,
        len(take),
        {
            "city": city.cast(pa.string()),
            "country": country.cast(pa.string()),
            "continent": _lookup(country, {c.name: c.continent for c in COUNTRIES}),
            "sub_continent": _lookup(country, {c.name: c.sub_continent for c in COUNTRIES}),
            "region": _lookup(city, dict(zip(CITY_NAMES, CITY_REGIONS, strict=True))),
            "metro": pa.array(["(not set)"] * len(take)),
        },
    )


def _ecommerce(events: pa.Table, take: pa.Array, name: pa.Array) -> pa.StructArray:
    purchase = pc.equal(name, "purchase")
    revenue = pc.take(events["event_value"], take).combine_chunks()
    quantity = pc.take(events["item_quantity"], take).combine_chunks()
    return gs.struct_array(
        gs.ECOMMERCE,
        len(take),
        {
            "total_item_quantity": quantity,
            "purchase_revenue_in_usd": revenue,
            "purchase_revenue": revenue,
            "unique_items": quantity,
            "transaction_id": pc.take(events["transaction_id"], take).combine_chunks(),
        },
        mask=pc.invert(purchase),
    )


def _items(events: pa.Table, take: pa.Array) -> pa.ListArray:
    """One item per purchase, an empty list for every other event."""
    item_id = pc.take(events["item_id"], take).combine_chunks()
    has_item = pc.is_valid(item_id).to_numpy(zero_copy_only=False)
    rows = pa.array(np.flatnonzero(has_item))
    price = pc.take(pc.take(events["item_price"], take).combine_chunks(), rows)
    quantity = pc.take(pc.take(events["item_quantity"], take).combine_chunks(), rows)
    revenue = pc.multiply(price, quantity.cast(pa.float64()))
    n = len(rows)
    item = gs.struct_array(
        gs.ITEM,
        n,
        {
            "item_id": pc.take(item_id, rows).cast(pa.string()),
            "item_name": pc.take(pc.take(events["item_name"], take).combine_chunks(), rows),
            "price_in_usd": price,
            "price": price,
            "quantity": quantity,
            "item_revenue_in_usd": revenue,
            "item_revenue": revenue,
            "item_params": pa.ListArray.from_arrays(
                pa.array(np.zeros(n + 1, np.int32)), pa.array([], gs.EVENT_PARAM)
            ),
        },
    )
    offsets = np.r_[0, np.cumsum(has_item)].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), item)
