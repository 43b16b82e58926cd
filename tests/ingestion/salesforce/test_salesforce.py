"""Salesforce connector against the emulated org: raw tables equal the world's CRM tables exactly,
through faults, reruns, cursor ties, API writes, deletes, schema drift, bad records and
backfills; what cannot load is named in a clear error or kept in quarantine with its reason."""

from __future__ import annotations

import json
import logging
import socket
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import requests
from simple_salesforce import Salesforce

from ingestion.common.metadata import LOAD_COLUMNS
from ingestion.common.retry import RetryPolicy
from ingestion.salesforce import OBJECTS, RAW_TABLES, ingest, table_name
from ingestion.salesforce.client import ConnectionConfig, SalesforceClient
from ingestion.salesforce.errors import (
    SalesforceIngestError,
    SalesforceQueryError,
    TokenEndpointUnreachable,
)
from ingestion.salesforce.schema import STREAMS
from ingestion.salesforce.sync import SyncOptions
from mdp.settings import get_settings
from mdp.warehouse import get_warehouse
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.salesforce.emulator import SalesforceEmulator
from sandbox.emulators.salesforce.org_data import (
    DRIFT_SUFFIX,
    IMPLAUSIBLE,
    RETYPE_TEXT,
    SOBJECTS,
    WRITEBACK_FIELDS,
    drift_target,
    retype_target,
)

WORLD_TABLE = {sobject: world for world, sobject in SOBJECTS.items()}
END = datetime(2025, 12, 31, tzinfo=UTC)
FAST = SyncOptions(policy=RetryPolicy(attempts=10, base_seconds=0.01, max_wait_seconds=0.05))
PIPELINE = ("Opportunity",)


def start_org(world: Any, faults: FaultConfig | None = None, **options: Any) -> tuple:
    emulator = SalesforceEmulator(**{"batch_size": 100, **options})
    info = emulator.start(world, faults or FaultConfig(), Path(tempfile.mkdtemp(prefix="sf-org-")))
    return emulator, info.connections["mdp_salesforce"]


@pytest.fixture(scope="module", autouse=True)
def airflow_logging() -> None:
    """Airflow configures logging on first import; do it before caplog attaches its handler."""
    import airflow.sdk  # noqa: F401


@pytest.fixture(scope="module")
def org(tiny_world: Any) -> Iterator[dict]:
    emulator, conn = start_org(tiny_world)
    yield conn
    emulator.stop()


@pytest.fixture
def use_org(monkeypatch: pytest.MonkeyPatch, settings: Any):
    """Point the connector at an org's connection (and a fresh warehouse per test)."""

    def use(conn: dict) -> None:
        monkeypatch.setenv("AIRFLOW_CONN_MDP_SALESFORCE", json.dumps(conn))

    return use


def use_db(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("MDP_DUCKDB_PATH", str(path))
    get_settings.cache_clear()


def run(day: datetime = END, params: dict | None = None, options: SyncOptions = FAST) -> dict:
    return ingest(params or {}, day, f"run-{day:%Y%m%d}", options=options, docs=False)


def raw(table: str) -> pa.Table:
    with get_warehouse(get_settings()) as wh:
        return wh.query(f"select * from {table} order by Id")


def checksums(tables: tuple[str, ...] = RAW_TABLES) -> dict[str, Any]:
    with get_warehouse(get_settings()) as wh:
        return {t: wh.checksum(t, exclude=LOAD_COLUMNS) for t in tables if wh.table_exists(t)}


def assert_equals_world(
    world: Any,
    sobjects: Collection[str] = OBJECTS,
    absent: Mapping[str, Collection[str]] | None = None,
    changed: Mapping[str, Collection[str]] | None = None,
) -> None:
    """Every declared column of every record equals the world's value (Ids, counts, sums),
    but for the records `absent` (quarantined: they must be missing) and `changed` (written
    through the API since: present, their values checked by the test)."""
    for sobject in sobjects:
        gone = set((absent or {}).get(sobject, ()))
        skip = set((changed or {}).get(sobject, ()))
        truth = world.tables[WORLD_TABLE[sobject]].sort_by("Id")
        loaded = raw(table_name(sobject))
        expected_ids = [i for i in truth.column("Id").to_pylist() if i not in gone]
        assert loaded.column("Id").to_pylist() == expected_ids, sobject
        truth = truth.filter(
            pc.invert(pc.is_in(truth.column("Id"), pa.array(list(gone | skip), pa.string())))
        )
        loaded = loaded.filter(
            pc.invert(pc.is_in(loaded.column("Id"), pa.array(list(skip), pa.string())))
        )
        for spec in STREAMS[sobject].schema.fields:
            if spec.name in truth.column_names:
                expected = truth.column(spec.name).to_pylist()
                assert loaded.column(spec.name).to_pylist() == expected, (sobject, spec.name)


def quarantined(table: str) -> list[dict[str, Any]]:
    """Rows of quarantine.<table>, their record parsed."""
    name = table.replace("raw.", "quarantine.")
    with get_warehouse(get_settings()) as wh:
        if not wh.table_exists(name):
            return []
        rows = wh.query(f"select reason, row_json from {name}").to_pylist()
    return [{"reason": r["reason"], "record": json.loads(r["row_json"])} for r in rows]


def schema_changes() -> list[tuple[str, str, str]]:
    """(object, field, change) of mdp_meta.schema_changes, sorted."""
    with get_warehouse(get_settings()) as wh:
        if not wh.table_exists("mdp_meta.schema_changes"):
            return []
        rows = wh.query("select * from mdp_meta.schema_changes").to_pylist()
    return sorted((r["stream"], r["field"], r["change"]) for r in rows)


def cursors() -> dict[str, str | None]:
    with get_warehouse(get_settings()) as wh:
        return {o: wh.get_state(f"salesforce.{o}.cursor") for o in OBJECTS}


def contracts_file(directory: Path, entries: Mapping[str, Any]) -> Path:
    """An ingestion/contracts.yml with these `salesforce:` entries."""
    path = directory / f"contracts-{len(list(directory.glob('contracts-*')))}.yml"
    path.write_text(json.dumps({"defaults": {"new_fields": "evolve"}, "salesforce": entries}))
    return path  # JSON is YAML


def test_full_sync_equals_the_world_and_a_rerun_changes_nothing(
    org: dict, use_org: Any, tiny_world: Any
) -> None:
    use_org(org)
    summary = run()
    assert_equals_world(tiny_world)
    opportunities = raw("raw.salesforce_opportunity")
    world_amount = pc.sum(tiny_world.tables["sf_opportunity"].column("Amount")).as_py()
    assert pc.sum(opportunities.column("Amount")).as_py() == pytest.approx(world_amount, abs=1e-6)
    cases = raw("raw.salesforce_case")
    deleted = pc.sum(tiny_world.tables["sf_case"].column("IsDeleted")).as_py()
    assert deleted > 0  # soft-deleted rows come via queryAll, every one of them
    assert pc.sum(cases.column("IsDeleted")).as_py() == deleted
    assert summary["rows"] == sum(tiny_world.tables[WORLD_TABLE[o]].num_rows for o in OBJECTS)
    # the world breaks no rule and its org matches the contracts: nothing quarantined, and
    # no schema change recorded (the org's other fields, kept in _mdp_extra, are its schema
    # as found at the first sync, not a change)
    assert summary["quarantined_records"] == 0
    assert all(t["quarantined_records"] == 0 for t in summary["tables"].values())
    assert not any(quarantined(t) for t in RAW_TABLES)
    assert schema_changes() == []
    first = checksums()
    run()  # re-reads the rows at each cursor (>=): merged on Id, nothing duplicated
    assert checksums() == first
    assert all(c.rows == raw(t).num_rows for t, c in first.items())


def test_rows_sharing_the_cursor_second_are_never_missed(
    org: dict, use_org: Any, tiny_world: Any
) -> None:
    use_org(org)
    tiny = SyncOptions(batch_rows=3, policy=FAST.policy, objects=("Campaign", "Account"))
    run(options=tiny)  # batches of ~3 rows would split the tied seconds if cut naively
    assert_equals_world(tiny_world, ("Campaign", "Account"))
    campaigns = raw("raw.salesforce_campaign")
    cursor = pc.max(campaigns.column("SystemModstamp")).as_py()
    tied = pc.sum(pc.equal(campaigns.column("SystemModstamp"), cursor)).as_py()
    assert tied >= 2  # the world puts several campaigns on the cursor's second
    with get_warehouse(get_settings()) as wh:  # lose all but one of them, as a `>` reader would
        keep = wh.query(
            "select min(Id) as Id from raw.salesforce_campaign where SystemModstamp = $c",
            {"c": cursor},
        ).column("Id")[0]
        wh.query(
            "delete from raw.salesforce_campaign where SystemModstamp = $c and Id <> $k",
            {"c": cursor, "k": keep.as_py()},
        )
    run(options=tiny)
    assert_equals_world(tiny_world, ("Campaign", "Account"))


def test_daily_runs_equal_one_run_and_every_backfill_is_a_full_sync(
    org: dict, use_org: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_org(org)
    # window and cursor semantics only: the quality gate is proven by the other tests
    monkeypatch.setattr("ingestion.salesforce.quality_gate", lambda docs_dir: None)
    options = SyncOptions(policy=FAST.policy, objects=PIPELINE)
    days = [datetime(2025, 12, d, tzinfo=UTC) for d in range(1, 32)]
    for day in days:  # scheduled runs: the first one reads all history (up to now)
        run(day, options=options)
    daily = checksums()
    use_db(monkeypatch, tmp_path / "one.duckdb")
    run(days[-1], options=options)
    assert checksums() == daily

    # a backfill into a fresh warehouse is a first sync: every record, whatever its range
    use_db(monkeypatch, tmp_path / "backfill_days.duckdb")
    for day in days[1:]:
        run(day, {"start": f"{day:%Y-%m-%d}", "end": f"{day:%Y-%m-%d}"}, options)
    assert checksums() == daily
    use_db(monkeypatch, tmp_path / "backfill.duckdb")
    run(days[-1], {"start": "2025-12-02", "end": "2025-12-31"}, options)
    assert checksums() == daily
    assert sum(c.rows for c in daily.values()) > 0


def test_ten_percent_faults_give_identical_tables_and_log_retries(
    use_org: Any, tiny_world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    faults = FaultConfig(rate=0.1, seed=11, slow_seconds=1.2)
    emulator, conn = start_org(tiny_world, faults)
    conn["extra"]["timeout_seconds"] = 0.8  # the slow answers time out and are retried
    try:
        use_org(conn)
        with caplog.at_level(logging.INFO):
            run()
        assert_equals_world(tiny_world)  # the same exact tables as without faults
        injected = emulator.app.injector.injected
    finally:
        emulator.stop()
    assert sum(injected.values()) >= 3, injected
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert retries, "the log shows each retry"
    assert "mdp-sandbox-client-secret" not in caplog.text  # secrets never reach the log
    assert "5Aep861mdpSandboxRefreshToken" not in caplog.text


def test_session_expiring_mid_pagination_restarts_the_query(
    tiny_world: Any, use_org: Any, caplog: pytest.LogCaptureFixture
) -> None:
    emulator, conn = start_org(
        tiny_world, FaultConfig(rate=0.2, kinds=("expired_token",), seed=3), batch_size=20
    )
    paged = ("Case", "Product_Usage__c", "OpportunityHistory")  # the objects of many pages
    try:
        use_org(conn)
        with caplog.at_level(logging.INFO):
            run(options=SyncOptions(policy=FAST.policy, objects=paged))
    finally:
        emulator.stop()
    messages = [r.getMessage() for r in caplog.records]
    assert any("restarting the query from SystemModstamp" in m for m in messages)
    assert_equals_world(tiny_world, paged)


def test_api_writes_and_deletes_appear_on_the_next_incremental_run(
    tiny_world: Any, use_org: Any
) -> None:
    emulator, conn = start_org(tiny_world)
    try:
        use_org(conn)
        run()
        sf = _salesforce(conn)
        lead_id = next(  # converted leads refuse updates, as in a real org
            r["Id"] for r in tiny_world.tables["sf_lead"].to_pylist() if not r["IsConverted"]
        )
        sf.bulk2.Lead.upsert(
            records=[{"Id": lead_id, "Company": "Renamed Co"}], external_id_field="Id", wait=0.1
        )
        sf.bulk2.Lead.insert(records=[{"LastName": "New", "Company": "Fresh Co"}], wait=0.1)
        contact_id = tiny_world.tables["sf_contact"].column("Id")[0].as_py()
        sf.bulk2.Contact.delete(records=[{"Id": contact_id}], wait=0.1)
        summary = run(datetime.now(UTC))
    finally:
        emulator.stop()
    leads = {r["Id"]: r for r in raw("raw.salesforce_lead").to_pylist()}
    assert leads[lead_id]["Company"] == "Renamed Co"
    assert [r["Company"] for r in leads.values()].count("Fresh Co") == 1
    assert len(leads) == tiny_world.tables["sf_lead"].num_rows + 1
    contacts = {r["Id"]: r for r in raw("raw.salesforce_contact").to_pylist()}
    assert contacts[contact_id]["IsDeleted"] is True
    assert len(contacts) == tiny_world.tables["sf_contact"].num_rows
    # only the two changes, plus the record on the old cursor's second (re-read by `>=`)
    assert summary["tables"]["raw.salesforce_lead"]["rows"] == 3


def test_a_batch_disagreeing_with_the_api_count_is_quarantined(
    org: dict, use_org: Any, monkeypatch: pytest.MonkeyPatch, tiny_world: Any
) -> None:
    use_org(org)
    real_count = SalesforceClient.count

    def off_by_one(self: SalesforceClient, sobject: str, where: str) -> int:
        return real_count(self, sobject, where) + (sobject == "Case")

    monkeypatch.setattr(SalesforceClient, "count", off_by_one)
    with pytest.raises(SalesforceIngestError, match="expect_table_row_count_to_equal"):
        run()
    with get_warehouse(get_settings()) as wh:
        assert not wh.table_exists("raw.salesforce_case")
        assert (
            wh.query("select count(*) as n from quarantine.salesforce_case")["n"][0].as_py()
            == tiny_world.tables["sf_case"].num_rows
        )
        assert wh.table_exists("raw.salesforce_opportunity")


def world_field(world: Any, pick: Any) -> dict[str, str]:
    """sObject → the world field a schema fault changes (`pick`: drift_target, retype_target)."""
    found = {o: pick(world.tables[WORLD_TABLE[o]]) for o in OBJECTS}
    return {o: f for o, f in found.items() if f}


def test_a_rename_stops_its_object_until_the_contract_maps_it_then_it_loads_in_full(
    org: dict,
    use_org: Any,
    tiny_world: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    use_org(org)
    run()  # the org before its admin renamed a custom field on five objects
    before, stamps = checksums(), cursors()
    renamed = world_field(tiny_world, drift_target)
    new_name = {o: f.removesuffix("__c") + DRIFT_SUFFIX for o, f in renamed.items()}
    mapping = {o: {"renames": {new_name[o]: f}} for o, f in renamed.items()}
    faults = FaultConfig(data_faults=frozenset({"schema_drift", "duplicates"}))
    emulator, conn = start_org(tiny_world, faults)
    try:
        use_org(conn)
        with pytest.raises(SalesforceIngestError) as failure:
            run()
        message = str(failure.value)
        assert f"{len(renamed)} problem(s)" in message
        for sobject, name in renamed.items():
            assert (
                f"Salesforce {sobject}: declared field {name} is no longer in describe (renamed "
                f"or deleted in the org); new field there: {new_name[sobject]}. If renamed, add "
                f"to ingestion/contracts.yml: `salesforce: {{{sobject}: {{renames: "
                f"{{{new_name[sobject]}: {name}}}}}}}`; {table_name(sobject)} keeps its previous "
                "data and cursor until then"
            ) in message
            assert (sobject, name, "removed") in schema_changes()
            assert checksums()[table_name(sobject)] == before[table_name(sobject)]
        assert cursors() == stamps
        assert_equals_world(tiny_world)  # stopped objects kept their data, the others loaded

        options = SyncOptions(policy=FAST.policy, contracts=contracts_file(tmp_path, mapping))
        run(options=options)  # with the renames declared, the same warehouse carries on
        assert_equals_world(tiny_world)
        use_db(monkeypatch, tmp_path / "fresh.duckdb")
        with caplog.at_level(logging.INFO):
            summary = run(options=options)  # and a fresh one loads every record in full
    finally:
        emulator.stop()
    assert "served twice" in caplog.text  # the duplicates fault: every record loaded once
    assert summary["quarantined_records"] == 0
    assert_equals_world(tiny_world)  # the new names' values sit in the declared columns
    for sobject, name in renamed.items():
        extras = raw(table_name(sobject)).column("_mdp_extra").to_pylist()
        assert not any(new_name[sobject] in (extra or "") for extra in extras)
        assert (sobject, name, "renamed") in schema_changes()


def test_a_deleted_field_stops_its_object_naming_it_and_the_other_objects_load(
    tiny_world: Any, use_org: Any
) -> None:
    emulator, conn = start_org(tiny_world, FaultConfig(data_faults=frozenset({"schema_drop"})))
    try:
        use_org(conn)
        with pytest.raises(SalesforceIngestError) as failure:
            run()
    finally:
        emulator.stop()
    dropped = world_field(tiny_world, drift_target)
    message = str(failure.value)
    for sobject, name in dropped.items():
        assert (
            f"Salesforce {sobject}: declared field {name} is no longer in describe (renamed or "
            "deleted in the org), and describe shows no new field with a similar name (new "
            "fields are listed in mdp_meta.schema_changes); declare the new name under "
            f"`salesforce: {sobject}: renames:` in ingestion/contracts.yml, or restore the field "
            "in Salesforce, or drop it from the declared fields in "
            f"ingestion/salesforce/schema.py; {table_name(sobject)} keeps its previous data and "
            "cursor until then"
        ) in message
        assert (sobject, name, "removed") in schema_changes()
        assert cursors()[sobject] is None
    with get_warehouse(get_settings()) as wh:  # nothing of them loaded with the field blanked
        assert not any(wh.table_exists(table_name(o)) for o in dropped)
    assert_equals_world(tiny_world, [o for o in OBJECTS if o not in dropped])


def test_a_retyped_field_loads_every_value_that_casts_and_quarantines_the_rest(
    tiny_world: Any, use_org: Any, caplog: pytest.LogCaptureFixture
) -> None:
    retyped = world_field(tiny_world, retype_target)  # a Number field now Text, a few "n/a"
    emulator, conn = start_org(tiny_world, FaultConfig(data_faults=frozenset({"schema_retype"})))
    try:
        use_org(conn)
        sf = _salesforce(conn)
        texts = {
            o: {
                r["Id"]
                for r in sf.query_all(f"SELECT Id FROM {o} WHERE {f} = '{RETYPE_TEXT}'")["records"]
            }
            for o, f in retyped.items()
        }
        with caplog.at_level(logging.WARNING):
            summary = run()  # a few bad records do not fail the run
    finally:
        emulator.stop()
    assert all(texts.values())
    for sobject, name in retyped.items():
        table = table_name(sobject)
        assert summary["tables"][table]["quarantined_records"] == len(texts[sobject])
        held = quarantined(table)
        assert {h["record"]["Id"] for h in held} == texts[sobject]
        assert all(h["record"][name] == RETYPE_TEXT for h in held)  # kept as the API sent it
        assert all(f"field '{name}': 'n/a' is not a" in h["reason"] for h in held)
        assert (sobject, name, "retyped") in schema_changes()
        # the batch loaded, so the cursor moved past the quarantined records
        top = pc.max(tiny_world.tables[WORLD_TABLE[sobject]].column("SystemModstamp")).as_py()
        assert cursors()[sobject] == f"{top:%Y-%m-%dT%H:%M:%S}.000Z"
    assert_equals_world(tiny_world, absent=texts)  # every other value cast, none nulled
    assert "record(s) quarantined" in caplog.text


def test_implausible_values_are_quarantined_record_by_record_and_the_rest_loads(
    tiny_world: Any, use_org: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    planted = {
        o: min(tiny_world.tables[WORLD_TABLE[o]].column("Id").to_pylist()) for o in IMPLAUSIBLE
    }
    rules = {
        "Opportunity": '"column": "Amount", "max_value": 10000000000.0, '
        '"min_value": -10000000000.0',
        "Lead": '"column": "CreatedDate", "max_value": ',
        "Case": '"column": "CreatedDate", "max_value": ',
        "Subscription__c": "field 'MRR__c' is NaN, not a number",
        "Product_Usage__c": '"column": "Active_Users__c", "max_value": 10000000.0, '
        '"min_value": 0.0',
    }
    faults = FaultConfig(data_faults=frozenset({"implausible_values"}))
    emulator, conn = start_org(tiny_world, faults)
    try:
        use_org(conn)
        summary = run()  # amount -1e12, created in 1900 and 2099, a NaN MRR, -3 active users
        for sobject, record_id in planted.items():
            table = table_name(sobject)
            held = quarantined(table)
            assert [h["record"]["Id"] for h in held] == [record_id], sobject
            assert rules[sobject] in held[0]["reason"], held[0]["reason"]
            assert summary["tables"][table]["quarantined_records"] == 1
        assert_equals_world(tiny_world, absent={o: {i} for o, i in planted.items()})
        usage = tiny_world.tables["sf_product_usage"].num_rows  # one bad record, big batch
        assert summary["tables"]["raw.salesforce_product_usage"]["rows"] == usage - 1

        # with no allowance for bad records, each such batch is held back whole: the run fails
        monkeypatch.setenv("MDP_INGEST__MAX_BAD_RECORDS", "0")
        monkeypatch.setenv("MDP_INGEST__MAX_BAD_SHARE", "0")
        use_db(monkeypatch, tmp_path / "strict.duckdb")
        with pytest.raises(SalesforceIngestError) as refused:
            run(options=SyncOptions(policy=FAST.policy, objects=("Opportunity", "Campaign")))
    finally:
        emulator.stop()
    opportunities = tiny_world.tables["sf_opportunity"].num_rows
    assert (
        f"raw.salesforce_opportunity: 1 of {opportunities} records are bad, more than the 0 a "
        "window may hold"
    ) in str(refused.value)
    assert cursors()["Opportunity"] is None
    assert len(quarantined("raw.salesforce_opportunity")) == opportunities
    assert_equals_world(tiny_world, ("Campaign",))


def test_a_new_field_is_kept_dropped_or_stops_its_object_as_the_contract_says(
    org: dict, tiny_world: Any, use_org: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    extra_fields = {**WRITEBACK_FIELDS, "Campaign": {"Region__c": "string"}}
    emulator, conn = start_org(tiny_world, extra_fields=extra_fields)
    objects = ("Campaign", "Case")
    campaign = tiny_world.tables["sf_campaign"].column("Id")[0].as_py()

    def load(new_fields: str) -> None:
        use_db(monkeypatch, tmp_path / f"{new_fields}.duckdb")
        terms = contracts_file(tmp_path, {"Campaign": {"new_fields": new_fields}})
        run(options=SyncOptions(policy=FAST.policy, objects=objects, contracts=terms))

    try:
        use_org(org)  # the org before its admin added Campaign.Region__c
        load("evolve")
        assert schema_changes() == []
        use_org(conn)  # and after, with a value in it
        _salesforce(conn).Campaign.update(campaign, {"Region__c": "EMEA"})
        run(datetime.now(UTC), options=SyncOptions(policy=FAST.policy, objects=objects))
        extras = {r["Id"]: r["_mdp_extra"] for r in raw("raw.salesforce_campaign").to_pylist()}
        assert json.loads(extras[campaign]) == {"Region__c": "EMEA"}
        assert schema_changes() == [("Campaign", "Region__c", "added")]
        assert_equals_world(tiny_world, objects, changed={"Campaign": {campaign}})
        load("discard")
        assert raw("raw.salesforce_campaign").column("_mdp_extra").null_count == len(extras)
        assert_equals_world(tiny_world, objects, changed={"Campaign": {campaign}})
        with pytest.raises(SalesforceIngestError) as failure:
            load("freeze")
    finally:
        emulator.stop()
    assert (
        "raw.salesforce_campaign: Salesforce Campaign: describe shows new field(s) Region__c and "
        "the object's contract is `freeze`; declare them in ingestion/salesforce/schema.py or "
        "set `new_fields: evolve` (or discard) under `salesforce: Campaign:` in "
        "ingestion/contracts.yml; raw.salesforce_campaign keeps its previous data and cursor "
        "until then"
    ) in str(failure.value)
    with get_warehouse(get_settings()) as wh:
        assert not wh.table_exists("raw.salesforce_campaign")
    assert_equals_world(tiny_world, ("Case",))


def test_a_backfill_holds_every_current_record_even_those_changed_after_its_range(
    tiny_world: Any, use_org: Any
) -> None:
    emulator, conn = start_org(tiny_world)
    options = SyncOptions(policy=FAST.policy, objects=("Account", "Lead"))
    accounts = tiny_world.tables["sf_account"].column("Id").to_pylist()[:40]
    leads = [r["Id"] for r in tiny_world.tables["sf_lead"].to_pylist() if not r["IsConverted"]][:9]
    try:
        use_org(conn)
        sf = _salesforce(conn)  # a CRM sync writes scores: SystemModstamp moves to now
        records = [
            {"attributes": {"type": "Account"}, "id": i, "Churn_Risk_3M__c": 42.0} for i in accounts
        ]
        sf.restful("composite/sobjects", method="PATCH", json={"records": records})
        for lead in leads:
            sf.Lead.update(lead, {"Lead_Score__c": 77.0})
        run(params={"start": "2025-01-01", "end": "2025-12-31"}, options=options)  # fresh
        scores = {r["Id"]: r["Churn_Risk_3M__c"] for r in raw("raw.salesforce_account").to_pylist()}
        assert [scores[i] for i in accounts] == [42.0] * len(accounts)
        lead_scores = {r["Id"]: r["Lead_Score__c"] for r in raw("raw.salesforce_lead").to_pylist()}
        assert [lead_scores[i] for i in leads] == [77.0] * len(leads)
        assert_equals_world(
            tiny_world, ("Account", "Lead"), changed={"Account": accounts, "Lead": leads}
        )
        first = cursors()
        sf.Account.update(accounts[0], {"Churn_Risk_3M__c": 7.0})  # a later write
        run(params={"start": "2025-06-01", "end": "2025-06-30"}, options=options)
        scores = {r["Id"]: r["Churn_Risk_3M__c"] for r in raw("raw.salesforce_account").to_pylist()}
        assert scores[accounts[0]] == 7.0
        moved = cursors()
        assert str(moved["Account"]) > str(first["Account"])  # forward, to the latest write
        run(params={"start": "2025-02-01", "end": "2025-02-28"}, options=options)
    finally:
        emulator.stop()
    assert cursors() == moved  # an older range never moves a cursor back


def test_a_corrupt_cursor_stops_its_object_with_the_state_error(
    org: dict, use_org: Any, tiny_world: Any
) -> None:
    use_org(org)
    with get_warehouse(get_settings()) as wh:
        wh.set_state("salesforce.Lead.cursor", "garbage")
    with pytest.raises(SalesforceIngestError) as failure:
        run(options=SyncOptions(policy=FAST.policy, objects=("Lead", "Campaign")))
    assert (
        "raw.salesforce_lead: state key 'salesforce.Lead.cursor' holds 'garbage', which is not a "
        "timestamp like 2025-01-31T10:00:00.000Z; see it with `mdp state show salesforce` and "
        "reset it with `mdp state reset salesforce Lead` (the next run then syncs from scratch)"
    ) in str(failure.value)
    assert cursors()["Lead"] == "garbage"
    assert_equals_world(tiny_world, ("Campaign",))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_token_endpoint_fails_fast_with_one_line_naming_url_and_cause(
    org: dict, use_org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"https://127.0.0.1:{_closed_port()}/services/oauth2/token"
    use_org({**org, "extra": {**org["extra"], "token_url": url}})
    started = time.monotonic()
    with pytest.raises(TokenEndpointUnreachable) as failure:
        run(options=SyncOptions())  # the default retry policy
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert message.startswith(
        f"Salesforce token endpoint {url} is unreachable: connection refused (gave up after "
    )
    assert message.endswith(
        "s); check the connection's extra.token_url and the network, then rerun"
    )
    assert "\n" not in message and elapsed < 10, elapsed

    monkeypatch.setattr("ingestion.salesforce.client.TOKEN_CONNECT_SECONDS", 0.5)
    unknown = "https://mdp-no-such-host.invalid/services/oauth2/token"
    use_org({**org, "extra": {**org["extra"], "token_url": unknown}})
    with pytest.raises(TokenEndpointUnreachable, match=r"does not resolve \(DNS\)"):
        run()


def test_an_unknown_field_fails_naming_object_and_field(org: dict) -> None:
    conn = org
    client = SalesforceClient(_config(conn), FAST.policy)
    with pytest.raises(SalesforceQueryError, match="No such column 'Bogus__c' on entity 'Lead'"):
        list(
            client.pages("Lead", {"Id": "id", "Bogus__c": "string"}, lambda _: "IsDeleted = false")
        )


def _config(conn: dict) -> ConnectionConfig:
    class _Conn:
        login, password, extra_dejson = conn["login"], conn["password"], conn["extra"]

    return ConnectionConfig.from_connection(_Conn())


def _salesforce(conn: dict) -> Salesforce:
    grant = requests.post(
        conn["extra"]["token_url"],
        data={
            "grant_type": "refresh_token",
            "client_id": conn["login"],
            "client_secret": conn["password"],
            "refresh_token": conn["extra"]["refresh_token"],
        },
        verify=conn["extra"]["ca_bundle"],
        timeout=10,
    ).json()
    session = requests.Session()
    session.verify, session.trust_env = conn["extra"]["ca_bundle"], False
    return Salesforce(
        instance_url=grant["instance_url"],
        session_id=grant["access_token"],
        session=session,
        version=conn["extra"]["api_version"],
    )


def test_window_semantics() -> None:
    from ingestion.salesforce.sync import RunWindow

    day = RunWindow(date(2025, 3, 2), date(2025, 3, 2), backfill=False)
    cursor = datetime(2025, 3, 1, 23, 59, tzinfo=UTC)
    first_sync = day.bounds(None)  # all history, up to now
    assert (first_sync.lower, first_sync.upper, first_sync.where(None)) == (None, None, "")
    assert day.bounds(cursor).where(None) == (
        "SystemModstamp >= 2025-03-01T23:59:00.000Z AND SystemModstamp < 2025-03-03T00:00:00.000Z"
    )
    rerun_old_day = day.bounds(datetime(2025, 3, 9, tzinfo=UTC))
    assert rerun_old_day.lower == datetime(2025, 3, 2, tzinfo=UTC)
    backfill = RunWindow(date(2025, 3, 2), date(2025, 3, 3), backfill=True)
    assert backfill.bounds(None) == first_sync  # no cursor: a full sync
    # the end day does not bound a CRM backfill: records changed later are read too
    assert backfill.bounds(cursor).where(None) == "SystemModstamp >= 2025-03-02T00:00:00.000Z"
    assert not backfill.bounds(cursor).advances_cursor  # a gap from the cursor to the start
    assert backfill.bounds(datetime(2025, 3, 3, tzinfo=UTC)).advances_cursor
    assert backfill.bounds(cursor).where("2025-03-05T10:00:00.000+0000") == (
        "SystemModstamp >= 2025-03-05T10:00:00.000Z"  # restarted after a dead session
    )


def test_the_dag_declares_an_asset_for_every_raw_table() -> None:
    from dags.ingest_salesforce import RAW_TABLES as DAG_TABLES

    assert DAG_TABLES == RAW_TABLES
