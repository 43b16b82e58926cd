"""Salesforce connector against the emulated org: raw tables equal the world's CRM tables exactly,
through faults, reruns, cursor ties, API writes, deletes, drift and quarantined batches."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
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
from ingestion.salesforce.errors import SalesforceIngestError, SalesforceQueryError
from ingestion.salesforce.schema import STREAMS
from ingestion.salesforce.sync import SyncOptions
from mdp.settings import get_settings
from mdp.warehouse import get_warehouse
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.salesforce.emulator import SalesforceEmulator
from sandbox.emulators.salesforce.org_data import SOBJECTS

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


def assert_equals_world(world: Any, sobjects: tuple[str, ...] = OBJECTS) -> None:
    """Every declared column of every record equals the world's value (Ids, counts, sums)."""
    for sobject in sobjects:
        truth = world.tables[WORLD_TABLE[sobject]].sort_by("Id")
        loaded = raw(table_name(sobject))
        assert loaded.num_rows == truth.num_rows, sobject
        assert loaded.column("Id").to_pylist() == truth.column("Id").to_pylist(), sobject
        for spec in STREAMS[sobject].schema.fields:
            if spec.name in truth.column_names:
                expected = truth.column(spec.name).to_pylist()
                assert loaded.column(spec.name).to_pylist() == expected, (sobject, spec.name)


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


def test_daily_runs_equal_one_run_and_daily_backfills_equal_one_backfill(
    org: dict, use_org: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_org(org)
    # window and cursor semantics only: the quality gate is proven by the other tests
    monkeypatch.setattr("ingestion.salesforce.quality_gate", lambda docs_dir: None)
    options = SyncOptions(policy=FAST.policy, objects=PIPELINE)
    days = [datetime(2025, 12, d, tzinfo=UTC) for d in range(1, 32)]
    for day in days:  # scheduled runs: the first one reads all history up to Dec 1
        run(day, options=options)
    daily = checksums()
    use_db(monkeypatch, tmp_path / "one.duckdb")
    run(days[-1], options=options)
    assert checksums() == daily

    use_db(monkeypatch, tmp_path / "backfill_days.duckdb")
    for day in days[1:]:
        run(day, {"start": f"{day:%Y-%m-%d}", "end": f"{day:%Y-%m-%d}"}, options)
    by_day = checksums()
    with get_warehouse(get_settings()) as wh:  # backfills never set a cursor with a gap before
        assert wh.get_state("salesforce.Case.cursor") is None
    use_db(monkeypatch, tmp_path / "backfill.duckdb")
    run(days[-1], {"start": "2025-12-02", "end": "2025-12-31"}, options)
    assert checksums() == by_day
    assert sum(c.rows for c in by_day.values()) > 0


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


def test_schema_drift_and_duplicated_records_load_without_loss(
    tiny_world: Any, use_org: Any, caplog: pytest.LogCaptureFixture
) -> None:
    faults = FaultConfig(data_faults=frozenset({"schema_drift", "duplicates"}))
    emulator, conn = start_org(tiny_world, faults)
    try:
        use_org(conn)
        with caplog.at_level(logging.INFO):
            run()
    finally:
        emulator.stop()
    assert "served twice" in caplog.text
    accounts = raw("raw.salesforce_account")
    assert accounts.num_rows == tiny_world.tables["sf_account"].num_rows
    assert accounts.column("Customer_Since__c").null_count == accounts.num_rows  # renamed away
    extras = [json.loads(e) for e in accounts.column("_mdp_extra").to_pylist()]
    expected = tiny_world.tables["sf_account"].sort_by("Id").column("Customer_Since__c")
    assert [e["Customer_Since_v2__c"] for e in extras] == [
        d.isoformat() if d else None for d in expected.to_pylist()
    ]
    for sobject in OBJECTS:  # every record once, despite each page repeating one
        ids = raw(table_name(sobject)).column("Id").to_pylist()
        assert sorted(ids) == sorted(
            tiny_world.tables[WORLD_TABLE[sobject]].column("Id").to_pylist()
        )


def test_a_field_type_change_quarantines_that_object_and_the_rest_loads(
    tiny_world: Any, use_org: Any
) -> None:
    emulator, conn = start_org(tiny_world, extra_fields={"Lead": {"Lead_Score__c": "string"}})
    try:
        use_org(conn)
        with pytest.raises(SalesforceIngestError) as failure:
            run()
    finally:
        emulator.stop()
    message = str(failure.value)
    assert "raw.salesforce_lead" in message and "'Lead_Score__c' changed type" in message
    with get_warehouse(get_settings()) as wh:
        assert not wh.table_exists("raw.salesforce_lead")
        held = wh.query("select distinct reason from quarantine.salesforce_lead").to_pylist()
        assert "Lead_Score__c" in held[0]["reason"]
        assert wh.get_state("salesforce.Lead.cursor") is None  # re-read once the contract is fixed
    assert_equals_world(tiny_world, tuple(o for o in OBJECTS if o != "Lead"))


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
    assert day.bounds(None).lower is None  # first run: all history
    assert day.bounds(cursor).lower == cursor
    rerun_old_day = day.bounds(datetime(2025, 3, 9, tzinfo=UTC))
    assert rerun_old_day.lower == datetime(2025, 3, 2, tzinfo=UTC)
    backfill = RunWindow(date(2025, 3, 2), date(2025, 3, 3), backfill=True)
    assert backfill.bounds(cursor).where(None) == (
        "SystemModstamp >= 2025-03-02T00:00:00.000Z AND SystemModstamp < 2025-03-04T00:00:00.000Z"
    )
    assert not backfill.bounds(cursor).advances_cursor  # a gap from the cursor to the start
    assert backfill.bounds(datetime(2025, 3, 3, tzinfo=UTC)).advances_cursor


def test_the_dag_declares_an_asset_for_every_raw_table() -> None:
    from dags.ingest_salesforce import RAW_TABLES as DAG_TABLES

    assert DAG_TABLES == RAW_TABLES
