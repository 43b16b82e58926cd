"""Model quality against the world's truth: per target (lead won in 90 days, churn this month,
churn within 3 months) the model's ROC-AUC on its evaluation window vs the Bayes-optimal AUC
of the true probabilities on the SAME rows, the gap, and the model's ECE (10 equal-width bins).
Goal: gap <= 0.02 and ECE <= 0.03.

The world goes through the pipeline (every connector, then `dbt build`), then `mdp train`'s
code trains on the marts into a throw-away MLflow store.

    python benchmarks/model_quality.py                   # medium (default)
    python benchmarks/model_quality.py --scale small
    python benchmarks/model_quality.py --home DIR        # reuse (or keep) the build in DIR
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GAP_GOAL, ECE_GOAL = 0.02, 0.03


def build(scale: str, seed: int, home: Path) -> Any:
    """Generate the world; ingest it and `dbt build` unless `home` already holds the marts."""
    from sandbox.world import WorldConfig, generate

    world = generate(WorldConfig(scale=scale, seed=seed))
    if (home / "warehouse.duckdb").exists():
        return world
    from benchmarks._world_pipeline import ingest_world

    started = time.perf_counter()
    ingest_world(world, home)
    mdp = str(Path(sys.executable).parent / "mdp")
    root = str(Path(__file__).resolve().parents[1])
    done = subprocess.run(
        [mdp, "dbt", "build", "--target-path", str(home / "target")],
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"dbt build failed:\n{done.stdout[-3000:]}")
    print(f"pipeline (ingest + dbt build) {time.perf_counter() - started:.0f}s", flush=True)
    return world


def compare(result: Any, truth: Any, keys: list[str], p_col: str, y_col: str) -> dict[str, Any]:
    """Model vs truth on the model's evaluation rows."""
    import numpy as np

    from ml.common.metrics import ece, roc_auc
    from sandbox.world.stats import bayes_auc

    test = result.split.test.reset_index(drop=True).copy()
    test["model_p"] = result.test_probability
    merged = test.merge(truth, on=keys, how="inner", validate="one_to_one")
    p_true = merged[p_col].to_numpy(dtype=float)
    outcome = np.asarray(merged[y_col], dtype=bool)  # the outcome the marts show
    return {
        "rows": len(test),
        "matched": len(merged),
        "positives": int(outcome.sum()),
        "model_auc": roc_auc(outcome, merged["model_p"].to_numpy()),
        "bayes_auc": bayes_auc(p_true),
        "truth_auc": roc_auc(outcome, p_true),  # the true probabilities on the drawn outcomes
        "ece": ece(outcome, merged["model_p"].to_numpy()),
        "truth_ece": ece(outcome, p_true),
    }


LEAD_LABEL, CHURN_3M_LABEL = "won_within_90_days", "churned_within_3_months"


def measure(scale: str, seed: int, home: Path) -> list[tuple[str, dict[str, Any] | str]]:
    os.environ["MDP_HOME"] = str(home)
    os.environ["MDP_DUCKDB_PATH"] = str(home / "warehouse.duckdb")
    os.environ["MDP_ML__MIN_ROC_AUC"] = "0.5"
    from mdp.runtime.airflow_env import apply_airflow_env
    from mdp.settings import get_settings

    get_settings.cache_clear()
    apply_airflow_env(get_settings())
    world = build(scale, seed, home)
    import pandas as pd

    from ml.churn.train import train as train_churn
    from ml.common.errors import NotEnoughDataError
    from ml.lead_scoring.train import train as train_leads

    settings = get_settings()
    lead_truth = world.truth["lead_truth"].to_pandas()
    churn_truth = world.truth["churn_truth"].to_pandas()
    churn_truth["month_start"] = pd.to_datetime(churn_truth["month"])
    lead_rows = lead_truth.rename(columns={"won_90d": "truth_won_90d"})
    months = ["account_id", "month_start"]
    out: list[tuple[str, dict[str, Any] | str]] = []
    try:
        (lead,) = train_leads(settings)
        out.append(("lead won 90d", compare(lead, lead_rows, ["lead_id"], "p_won_90d", LEAD_LABEL)))
    except NotEnoughDataError as error:
        out.append(("lead won 90d", str(error)))
    try:
        churn_1m, churn_3m = train_churn(settings)
        out.append(
            (
                "churn 1m",
                compare(churn_1m, churn_truth, months, "p_churn_month", "churned_in_month"),
            )
        )
        out.append(
            ("churn 3m", compare(churn_3m, churn_truth, months, "p_churn_3m", CHURN_3M_LABEL))
        )
    except NotEnoughDataError as error:
        out.append(("churn", str(error)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path, default=None, help="Build (or reuse) the world here")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="mdp-bench-models-"))
    home.mkdir(parents=True, exist_ok=True)
    ok = True
    for target, r in measure(args.scale, args.seed, home):
        if isinstance(r, str):
            ok = False
            print(f"models {args.scale:>6} {target:<13}: not trained: {r}", flush=True)
            continue
        gap = r["bayes_auc"] - r["model_auc"]
        passed = gap <= GAP_GOAL and r["ece"] <= ECE_GOAL
        ok &= passed
        print(
            f"models {args.scale:>6} {target:<13}: {r['rows']:>6} eval rows "
            f"({r['positives']} positive, {r['matched']} matched to truth) | ROC-AUC "
            f"{r['model_auc']:.3f} vs Bayes {r['bayes_auc']:.3f} (gap {gap:+.3f}; true p on "
            f"these outcomes {r['truth_auc']:.3f}) | ECE {r['ece']:.3f} "
            f"(true p {r['truth_ece']:.3f})"
            f" | {'ok' if passed else 'MISSES GOAL'}",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
