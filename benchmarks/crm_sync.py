"""CRM sync throughput: records/s of the Bulk API 2.0 sync against per-record REST updates.

Both write the same score fields of the same records (every lead and account of the world) into
a fresh Salesforce emulator: the sync end to end (`run_sync`: warehouse read, describe, diff,
Bulk 2.0 upsert jobs, state) and a loop of simple-salesforce `sf.<Object>.update(id, {...})`.

    python benchmarks/crm_sync.py                      # small world, 0 and 20 ms per call
    python benchmarks/crm_sync.py --scale medium
    python benchmarks/crm_sync.py --latency-ms 0 50    # round trips added to every HTTP call

The emulator answers on the same machine in about a millisecond, which flatters per-record REST:
against a real org every call pays the network round trip (and counts against the daily API
allowance), while a Bulk job costs a handful of calls whatever its size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
import numpy as np
import pyarrow as pa


def _scores(world: Any, path: Path) -> None:
    """scores.lead_scores and scores.churn_scores (real columns) for every live lead/account."""
    leads = [r["Id"] for r in world.tables["sf_lead"].to_pylist() if not r["IsDeleted"]]
    accounts = [r["Id"] for r in world.tables["sf_account"].to_pylist() if not r["IsDeleted"]]
    rng = np.random.default_rng(0)

    def provenance(n: int, name: str) -> dict[str, Any]:
        return {
            "model_name": [name] * n,
            "model_version": ["1"] * n,
            "mlflow_run_id": ["0" * 32] * n,
            "feature_snapshot_date": pa.array([dt.date(2025, 12, 31)] * n, pa.date32()),
            "scored_at": pa.array([dt.datetime.now(dt.UTC)] * n, pa.timestamp("us", tz="UTC")),
        }

    def frame(key: str, ids: list[str], level: str, name: str, **extra: Any) -> pa.Table:
        p = rng.uniform(0, 1, len(ids))
        return pa.table(
            {
                key: ids,
                **extra,
                "probability": p,
                level: np.where(
                    p > 0.5,
                    "Hot" if level == "tier" else "high",
                    "Cold" if level == "tier" else "low",
                ),
                "reason_1": ["Form filled = demo_request (raises)"] * len(ids),
                "reason_2": ["Seniority = director (raises)"] * len(ids),
                "reason_3": ["Sessions with a pricing-page visit = 1 (lowers)"] * len(ids),
                **provenance(len(ids), name),
            }
        )

    con = duckdb.connect(str(path))
    con.execute("create schema scores")
    lead_table = frame("lead_id", leads, "tier", "mdp_lead_scoring")
    churn_table = frame(
        "account_id",
        accounts,
        "risk_level",
        "mdp_churn_3m",
        horizon_months=pa.array([3] * len(accounts), pa.int64()),
    )
    for name, table in (("lead_scores", lead_table), ("churn_scores", churn_table)):
        con.register("t", table)
        con.execute(f"create table scores.{name} as select * from t")
        con.unregister("t")
    con.close()


def _rest_payloads(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """The same field values the sync sends, per record, for the REST loop."""
    con = duckdb.connect(str(path), read_only=True)
    leads = con.sql("select * from scores.lead_scores").to_arrow_table().to_pylist()
    churn = con.sql("select * from scores.churn_scores").to_arrow_table().to_pylist()
    con.close()

    def reasons(r: dict[str, Any]) -> str:
        return "; ".join(x for x in (r["reason_1"], r["reason_2"], r["reason_3"]) if x)

    stamp = lambda r: r["scored_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
    return [
        (
            "Lead",
            r["lead_id"],
            {
                "Lead_Score__c": r["probability"],
                "Lead_Score_Tier__c": r["tier"],
                "Lead_Score_Reasons__c": reasons(r),
                "Lead_Score_Model_Version__c": r["model_version"],
                "Lead_Score_Date__c": stamp(r),
            },
        )
        for r in leads
    ] + [
        (
            "Account",
            r["account_id"],
            {
                "Churn_Risk__c": r["probability"],
                "Churn_Risk_Level__c": r["risk_level"],
                "Churn_Reasons__c": reasons(r),
                "Churn_Model_Version__c": r["model_version"],
                "Churn_Risk_Date__c": stamp(r),
            },
        )
        for r in churn
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=[0.0, 20.0],
        help="Round trips added to every HTTP call of both modes, one measurement each "
        "(default 0 and 20 ms; a real org is ~50-150 ms away)",
    )
    args = parser.parse_args()
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=args.scale, seed=42))
    print(
        f"{args.scale} world, Salesforce emulator, {os.cpu_count()} cores "
        f"(load {os.getloadavg()[0]:.1f} at start)"
    )
    print(
        f"{'latency':>8}  {'mode':<38}{'records':>8}{'seconds':>9}{'records/s':>11}"
        f"{'emulator s':>12}{'emulator us/rec':>17}"
    )
    runs = []
    for latency_ms in args.latency_ms:
        results = measure(world, latency_ms)
        for mode, (records, seconds, server) in results.items():
            print(
                f"{latency_ms:>6.0f}ms  {LABELS[mode]:<38}{records:>8}{seconds:>9.2f}"
                f"{records / seconds:>11.0f}{server:>12.2f}{server / records * 1e6:>17.0f}"
            )
        bulk = results["bulk"][0] / results["bulk"][1]
        rest = results["rest"][0] / results["rest"][1]
        print(f"{latency_ms:>6.0f}ms  speed-up: {bulk / rest:.1f}x (goal >= 20x)")
        runs.append(
            {
                "latency_ms": latency_ms,
                **{
                    mode: {
                        "records": n,
                        "s": seconds,
                        "records_s": n / seconds,
                        "emulator_s": server,
                    }
                    for mode, (n, seconds, server) in results.items()
                },
                "speedup": bulk / rest,
            }
        )
    from _figures import write_figures

    write_figures({"scale": args.scale, "goal": 20, "runs": runs})
    return 0


LABELS = {
    "bulk": "Bulk 2.0 sync (mdp sync, end to end)",
    "rest": "REST sf.<Object>.update per record",
}


def measure(world: Any, latency_ms: float) -> dict[str, tuple[int, float, float]]:
    """Both modes against fresh emulators, the sync from a fresh warehouse (no sync state)."""
    home = Path(tempfile.mkdtemp(prefix="mdp-bench-crm-"))
    os.environ.update(
        MDP_HOME=str(home),
        MDP_DUCKDB_PATH=str(home / "warehouse.duckdb"),
        MDP_SYNC__SALESFORCE_POLL_SECONDS="0.05",
    )
    from activation.crm import run_sync
    from activation.crm.salesforce import SalesforceConfig, SalesforceCrm
    from mdp.settings import load_settings
    from sandbox.emulators.faults import FaultConfig
    from sandbox.emulators.salesforce import SalesforceEmulator

    _scores(world, home / "warehouse.duckdb")
    settings = load_settings()
    results = {}
    for mode in ("bulk", "rest"):
        emulator = SalesforceEmulator()
        conn = emulator.start(world, FaultConfig(), home).connections["mdp_salesforce"]
        os.environ["AIRFLOW_CONN_MDP_SALESFORCE"] = json.dumps(conn)
        config = SalesforceConfig(
            conn["login"],
            conn["password"],
            conn["extra"]["refresh_token"],
            conn["extra"]["token_url"],
            ca_bundle=conn["extra"]["ca_bundle"],
        )
        client = SalesforceCrm(config, settings.sync)
        client.authenticate()
        if latency_ms:
            delay = latency_ms / 1000
            client.session.hooks["response"].append(
                lambda r, *a, pause=delay, **k: time.sleep(pause)
            )
        server = _time_server(emulator)
        if mode == "bulk":
            started = time.perf_counter()
            result = run_sync(settings, "salesforce", client=client)
            records = result.sent
            assert result.failed == 0
        else:
            payloads = _rest_payloads(home / "warehouse.duckdb")
            started = time.perf_counter()
            for sobject, record_id, values in payloads:
                getattr(client.sf, sobject).update(record_id, values)
            records = len(payloads)
        results[mode] = (records, time.perf_counter() - started, server[0])
        emulator.stop()
    return results


def _time_server(emulator: Any) -> list[float]:
    """A running total of the seconds the emulator spends answering requests (the Salesforce
    side of the work: what a faster org would save, and what no client change can)."""
    app = emulator.app
    handle, total = app.handle, [0.0]

    def timed(request: Any) -> Any:
        started = time.perf_counter()
        try:
            return handle(request)
        finally:
            total[0] += time.perf_counter() - started

    app.handle = timed
    return total


if __name__ == "__main__":
    sys.exit(main())
