"""Transform cost: `dbt build` time per scale, its ratio to one DuckDB pass over the raw events,
and the transform DAG through Airflow with Cosmos (a task per model) vs one `dbt build`.

Each scale runs in its own process: the world is generated and ingested by every connector into
a temporary DuckDB, then each way of transforming it is timed on that same warehouse.

    python benchmarks/transform.py                    # small and medium
    python benchmarks/transform.py --scales tiny       # choose scales
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

from _figures import write_figures
from _harness import peak_rss_mb, per_scale

#: One pass = read every raw event (nested columns included) and write it once.
ONE_PASS = "create or replace table main._bench_one_pass as select * from raw.ga4_events"


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[1:3])} failed:\n{done.stdout[-3000:]}")
    return time.perf_counter() - started


def measure(scale: str, seed: int, days: int) -> dict[str, object]:
    """Ingest a whole world (`days` is unused: the year), then time each way to transform it."""
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
    dag = {}
    for mode in ("build", "cosmos"):  # the same DAG through Airflow, each way
        dag[mode] = _timed([mdp, "run", "--only", "transform"], {**env, "MDP_TRANSFORM_MODE": mode})
    return {
        "scale": scale,
        "events": events,
        "dbt_build_s": round(build, 1),
        "one_pass_s": round(one_pass, 2),
        "ratio": round(build / one_pass, 1),
        "build_dag_s": round(dag["build"], 1),
        "cosmos_dag_s": round(dag["cosmos"], 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> int:
    results = per_scale(__file__, measure, __doc__.splitlines()[0])
    print(
        f"{'scale':<8}{'raw events':>11}{'dbt build s':>12}{'one pass s':>11}{'ratio':>7}"
        f"{'DAG build s':>12}{'DAG cosmos s':>13}{'peak RSS MB':>12}   (goal: ratio <= 5)"
    )
    for r in results:
        print(
            f"{r['scale']:<8}{r['events']:>11,}{r['dbt_build_s']:>12}{r['one_pass_s']:>11}"
            f"{r['ratio']:>7}{r['build_dag_s']:>12}{r['cosmos_dag_s']:>13}{r['peak_rss_mb']:>12}"
        )
    write_figures({"goal_ratio": 5, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
