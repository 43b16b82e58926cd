"""The emulator's GAQL parser and checker, without a server."""

from __future__ import annotations

import datetime as dt

import pytest

from sandbox.emulators.google_ads.catalog import FIELDS, check
from sandbox.emulators.google_ads.gaql import Condition, GaqlError, Ordering, Value, parse, tokenize

TODAY = dt.date(2025, 3, 15)


def test_parses_every_clause() -> None:
    query = parse(
        "select campaign.id, metrics.clicks FROM campaign "
        "WHERE campaign.status IN ('ENABLED', PAUSED) AND metrics.clicks >= 10 "
        "AND segments.date BETWEEN '2025-01-01' AND \"2025-01-31\" "
        "ORDER BY metrics.clicks DESC, campaign.id LIMIT 5"
    )

    assert query.fields == ("campaign.id", "metrics.clicks")
    assert query.resource == "campaign"
    assert query.conditions == (
        Condition("campaign.status", "IN", (Value("string", "ENABLED"), Value("word", "PAUSED"))),
        Condition("metrics.clicks", ">=", (Value("number", "10"),)),
        Condition(
            "segments.date",
            "BETWEEN",
            (Value("string", "2025-01-01"), Value("string", "2025-01-31")),
        ),
    )
    assert query.ordering == (Ordering("metrics.clicks", True), Ordering("campaign.id", False))
    assert query.limit == 5


def test_tokenizer_keeps_two_character_operators_and_negative_numbers() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("a != -3 AND b<=2")]
    assert kinds == [
        ("word", "a"),
        ("symbol", "!="),
        ("number", "-3"),
        ("word", "AND"),
        ("word", "b"),
        ("symbol", "<="),
        ("number", "2"),
        ("end", ""),
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("WHERE campaign.id ~ 3", "BAD_SYMBOL"),
        ("WHERE campaign.id LIKE 3", "BAD_OPERATOR"),
        ("WHERE campaign.id IN ()", "PROHIBITED_EMPTY_LIST_IN_CONDITION"),
        ("WHERE campaign.id IN 3", "EXPECTED_LIST"),
        ("WHERE segments.date BETWEEN '2025-01-01'", "EXPECTED_AND"),
        ("LIMIT ten", "BAD_LIMIT_VALUE"),
        ("WHERE", "UNEXPECTED_END_OF_QUERY"),
        ("campaign.name", "UNEXPECTED_INPUT"),
    ],
)  # fmt: skip
def test_syntax_errors_carry_the_api_codes(text: str, code: str) -> None:
    with pytest.raises(GaqlError) as raised:
        parse(f"SELECT campaign.id FROM campaign {text}")
    assert raised.value.code == code


def test_during_resolves_against_the_sandbox_clock() -> None:
    query = check(
        parse("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_7_DAYS"), TODAY
    )
    (condition,) = query.filters
    assert (condition.operator, condition.values) == ("BETWEEN", ("2025-03-08", "2025-03-14"))
    last_month = check(
        parse("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_MONTH"), TODAY
    )
    assert last_month.filters[0].values == ("2025-02-01", "2025-02-28")


def test_checked_values_are_typed() -> None:
    query = check(
        parse(
            "SELECT campaign.id FROM campaign WHERE campaign.id = 42 "
            "AND metrics.conversions > 1.5 AND campaign.status != 'REMOVED'"
        ),
        TODAY,
    )
    assert [f.values for f in query.filters] == [(42,), (1.5,), ("REMOVED",)]
    assert query.has_metrics


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT campaign.id FROM campaign WHERE campaign.id = 'x'", "BAD_NUMBER"),
        ("SELECT campaign.id FROM campaign WHERE campaign.name = nope", "BAD_VALUE"),
        ("SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_9_DAYS",
         "INVALID_VALUE_WITH_DURING_OPERATOR"),
        ("SELECT ad_group.id FROM ad_group WHERE ad_group_ad.status = 'ENABLED'",
         "PROHIBITED_RESOURCE_TYPE_IN_WHERE_CLAUSE"),
        ("SELECT ad_group_ad.ad.id FROM ad_group_ad ORDER BY ad_group_ad.ad.final_urls",
         "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE"),
    ],
)  # fmt: skip
def test_semantic_errors_carry_the_api_codes(text: str, code: str) -> None:
    with pytest.raises(GaqlError) as raised:
        check(parse(text), TODAY)
    assert raised.value.code == code


def test_every_catalog_field_is_a_google_ads_row_path() -> None:
    from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow

    for name in FIELDS:
        message = GoogleAdsRow.pb().DESCRIPTOR
        *path, leaf = name.split(".")
        for part in path:
            message = message.fields_by_name[part].message_type
        assert leaf in message.fields_by_name or f"{leaf}_" in message.fields_by_name, name
