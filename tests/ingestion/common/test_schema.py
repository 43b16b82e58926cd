"""Schema contracts: known fields cast, unknown fields kept as JSON, breaking changes named."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from ingestion.common.errors import SchemaContractError
from ingestion.common.schema import EXTRA_COLUMN, StreamSchema, fields

SCHEMA = StreamSchema(
    table="raw.facebook_ads_insights",
    keys=("ad_id", "date_start"),
    fields=fields(
        ("ad_id", pa.string()),
        ("date_start", pa.date32()),
        ("spend", pa.float64()),
        ("reach", pa.int64(), False),
    ),
)


def test_casts_declared_fields_and_null_fills_optional() -> None:
    batch = pa.table({"ad_id": ["1"], "date_start": ["2025-01-01"], "spend": ["12.5"]})
    table = SCHEMA.conform(batch)
    assert table.schema == SCHEMA.arrow_schema
    assert table.to_pylist()[0] == {
        "ad_id": "1",
        "date_start": date(2025, 1, 1),
        "spend": 12.5,
        "reach": None,
        EXTRA_COLUMN: None,
    }


def test_unknown_fields_are_kept_as_json() -> None:
    batch = pa.table(
        {
            "ad_id": ["1"],
            "date_start": ["2025-01-01"],
            "spend": [1.0],
            "new_metric": [7],
            "labels": [["a", "b"]],
        }
    )
    extra = SCHEMA.conform(batch).column(EXTRA_COLUMN)[0].as_py()
    assert json.loads(extra) == {"labels": ["a", "b"], "new_metric": 7}


def test_missing_required_field_is_named() -> None:
    batch = pa.table({"ad_id": ["1"], "date_start": ["2025-01-01"]})
    with pytest.raises(SchemaContractError, match="required field 'spend' is missing"):
        SCHEMA.conform(batch)


def test_type_change_is_named() -> None:
    batch = pa.table({"ad_id": ["1"], "date_start": ["2025-01-01"], "spend": ["n/a"]})
    with pytest.raises(SchemaContractError, match="field 'spend' changed type"):
        SCHEMA.conform(batch)


def test_keys_must_be_declared() -> None:
    with pytest.raises(ValueError, match="not declared"):
        StreamSchema("raw.x", keys=("id",), fields=fields(("other", pa.string())))
