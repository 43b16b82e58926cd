"""Cursor paging as Graph does it: opaque `before`/`after` cursors, `next` only when more remain."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from sandbox.emulators.facebook_ads import errors, params
from sandbox.emulators.facebook_ads.params import Params


def encode_cursor(index: int) -> str:
    """Graph's cursor style: base64 of the row index with '=' padding written as 'ZD'."""
    return base64.b64encode(str(index).encode()).decode().replace("=", "ZD")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor.replace("ZD", "=")).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_parameter("The after cursor is invalid.") from None


def page(items: Sequence[dict[str, Any]], query: Params, url: str) -> dict[str, Any]:
    """One page of `items` for the request's `limit`/`after`; `url` is the edge's full URL."""
    size = params.limit(query)
    start = decode_cursor(query["after"]) + 1 if query.get("after") else 0
    data = list(items[start : start + size])
    body: dict[str, Any] = {"data": data}
    if not data:
        return body
    last = start + len(data) - 1
    paging: dict[str, Any] = {
        "cursors": {"before": encode_cursor(start), "after": encode_cursor(last)}
    }
    if start > 0:
        previous = {k: v for k, v in query.items() if k != "after"}
        paging["previous"] = f"{url}?{urlencode({**previous, 'before': encode_cursor(start)})}"
    if last + 1 < len(items):
        paging["next"] = f"{url}?{urlencode({**query, 'after': encode_cursor(last)})}"
    body["paging"] = paging
    return body
