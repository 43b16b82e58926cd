"""The SQL the warehouse layer generates parses in each target dialect (sqlglot)."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from mdp.warehouse import sql

TARGET_BQ = "`proj.raw.facebook_ads_insights`"
STAGE_BQ = "`proj.raw._stage_facebook_ads_insights_abc123`"
COLUMNS = ["ad_id", "date", "spend", "impressions", "select"]  # a reserved word on purpose
KEYS = ["ad_id", "date"]


def _statements_bigquery() -> list[str]:
    return [
        sql.merge_sql(sql.BIGQUERY, TARGET_BQ, STAGE_BQ, COLUMNS, KEYS),
        sql.key_profile_sql(sql.BIGQUERY, STAGE_BQ, KEYS),
        sql.duplicate_sample_sql(sql.BIGQUERY, STAGE_BQ, KEYS),
        sql.matched_count_sql(sql.BIGQUERY, TARGET_BQ, STAGE_BQ, KEYS),
        sql.delete_partition_sql(sql.BIGQUERY, TARGET_BQ, "date", "date '2025-01-01'"),
        sql.checksum_sql(sql.BIGQUERY, TARGET_BQ, COLUMNS),
    ]


@pytest.mark.parametrize("statement", _statements_bigquery())
def test_bigquery_sql_parses(statement: str) -> None:
    parsed = sqlglot.parse_one(statement, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    assert parsed is not None
    # Round trip through the dialect keeps the same tree (nothing was dropped by the parser).
    assert sqlglot.parse_one(parsed.sql(dialect="bigquery"), read="bigquery") == parsed


def test_merge_shape() -> None:
    parsed = sqlglot.parse_one(
        sql.merge_sql(sql.BIGQUERY, TARGET_BQ, STAGE_BQ, COLUMNS, KEYS), read="bigquery"
    )
    assert isinstance(parsed, exp.Merge)
    whens = list(parsed.find_all(exp.When))
    assert len(whens) == 2
    updated = {e.this.name for e in parsed.find_all(exp.EQ) if e.parent_select is None}
    assert {"spend", "impressions", "select"} <= updated


@pytest.mark.parametrize(
    "statement",
    [
        sql.merge_sql(sql.DUCKDB, '"raw"."t"', '"_stage"', COLUMNS, KEYS),
        sql.key_profile_sql(sql.DUCKDB, '"_stage"', KEYS),
        sql.checksum_sql(sql.DUCKDB, '"raw"."t"', COLUMNS),
    ],
)
def test_duckdb_sql_parses(statement: str) -> None:
    assert sqlglot.parse_one(statement, read="duckdb", error_level=sqlglot.ErrorLevel.RAISE)


def test_identifiers_are_quoted_and_escaped() -> None:
    assert sql.BIGQUERY.ident("a`b") == "`a``b`"
    assert sql.DUCKDB.ident('a"b') == '"a""b"'
