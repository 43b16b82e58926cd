"""Schema contracts: known fields cast, unknown fields kept as JSON, breaking changes named."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from ingestion.common.errors import SchemaChangeError, SchemaContractError
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


def test_a_value_that_cannot_take_its_type_is_a_record_error_not_a_null() -> None:
    batch = pa.table(
        {"ad_id": ["1", "2"], "date_start": ["2025-01-01"] * 2, "spend": ["1.5", "n/a"]}
    )
    result = SCHEMA.conform_records(batch)
    why = "field 'spend': 'n/a' is not a double (the source sends string)"
    assert result.row_errors == {1: why}
    assert result.table.column("spend").to_pylist() == [1.5, None]
    with pytest.raises(SchemaContractError, match="1 record"):
        SCHEMA.conform(batch)


def test_non_finite_numbers_are_record_errors() -> None:
    batch = pa.table(
        {"ad_id": ["1", "2", "3"], "date_start": ["2025-01-01"] * 3,
         "spend": [1.0, float("nan"), float("-inf")]}
    )  # fmt: skip
    errors = SCHEMA.conform_records(batch).row_errors
    assert errors == {1: "field 'spend' is NaN, not a number",
                      2: "field 'spend' is infinite, not a number"}  # fmt: skip


def test_declared_rename_reads_the_new_name_into_the_declared_column() -> None:
    schema = SCHEMA.with_contract("evolve", {"cost": "spend"})
    batch = pa.table({"ad_id": ["1"], "date_start": ["2025-01-01"], "cost": [2.5]})
    table = schema.conform(batch)
    assert table.column("spend").to_pylist() == [2.5]
    assert table.column(EXTRA_COLUMN).to_pylist() == [None]  # not only in the JSON column


def test_new_field_policies() -> None:
    batch = pa.table({"ad_id": ["1"], "date_start": ["2025-01-01"], "spend": [1.0], "x": [7]})
    discarded = SCHEMA.with_contract("discard", {}).conform(batch)
    assert discarded.column(EXTRA_COLUMN)[0].as_py() is None
    with pytest.raises(SchemaChangeError, match=r"new field\(s\) x .*freeze"):
        SCHEMA.with_contract("freeze", {}).conform(batch)


def test_keys_must_be_declared() -> None:
    with pytest.raises(ValueError, match="not declared"):
        StreamSchema("raw.x", keys=("id",), fields=fields(("other", pa.string())))


def test_a_rename_whose_old_name_is_still_sent_keeps_the_new_field() -> None:
    schema = SCHEMA.with_contract("evolve", {"cost": "spend"})
    batch = pa.table({"ad_id": ["1"], "date_start": ["2025-01-01"], "spend": [1.0], "cost": [2.5]})
    table = schema.conform(batch)
    assert table.column("spend").to_pylist() == [1.0]
    assert json.loads(table.column(EXTRA_COLUMN)[0].as_py()) == {"cost": 2.5}
