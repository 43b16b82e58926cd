"""Transform cost: `dbt build` time per scale, its ratio to one DuckDB pass over the raw events,
and the transform DAG through Airflow with Cosmos (a task per model) vs one `dbt build`.

Each scale runs in its own process: the world is generated and ingested by every connector into
a temporary DuckDB, then each way of transforming it is timed on that same warehouse.

    python benchmarks/transform.py                    # tiny and small
    python benchmarks/transform.py --scales medium    # choose scales
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "ingestion_sources"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _harness import peak_rss_mb, per_scale

#: One pass = read every raw event (nested columns included) and write it once.
ONE_PASS = "create or replace table main._bench_one_pass as select * from raw.ga4_events"


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[1:3])} failed:\n{done.stdout[-3000:]}")
    return time.perf_counter() - started


def measure(scale: str, seed: int) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="mdp-bench-transform-"))
    os.environ["MDP_HOME"] = str(home)
    os.environ["MDP_DUCKDB_PATH"] = str(home / "warehouse.duckdb")
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import load_settings

    apply_airflow_env(load_settings())
    import duckdb

    from benchmarks._world_pipeline import ingest_world
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=seed))
    ingest_world(world, home)
    con = duckdb.connect(os.environ["MDP_DUCKDB_PATH"])
    events = con.execute("select count(*) from raw.ga4_events").fetchone()[0]  # type: ignore[index]
    started = time.perf_counter()
    con.execute(ONE_PASS)
    one_pass = time.perf_counter() - started
    con.execute("drop table main._bench_one_pass")
    con.close()
    mdp = str(Path(sys.executable).parent / "mdp")
    env = dict(os.environ)
    build = _timed([mdp, "dbt", "build", "--target-path", str(home / "target")], env)
    _timed([mdp, "setup"], env)  # Airflow's DB and the manifest Cosmos renders from
    cosmos = _timed([mdp, "run", "--only", "transform"], env)
    return {
        "scale": scale,
        "events": events,
        "dbt_build_s": round(build, 1),
        "one_pass_s": round(one_pass, 2),
        "ratio": round(build / one_pass, 1),
        "cosmos_dag_s": round(cosmos, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    for _, r in per_scale(__file__, measure, __doc__.splitlines()[0]):
        print(
            f"transform {r['scale']:>6}: {r['events']:>8} raw events | dbt build "
            f"{r['dbt_build_s']}s = {r['ratio']}x one DuckDB pass ({r['one_pass_s']}s) | "
            f"transform DAG with Cosmos (task per model) {r['cosmos_dag_s']}s vs one dbt build "
            f"{r['dbt_build_s']}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
