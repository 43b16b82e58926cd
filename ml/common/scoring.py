"""Score tables: every row carries the model, its version, its MLflow run, the feature snapshot
and when it was scored; rows merge on their keys so a rerun for a snapshot replaces itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from mdp.settings import Settings
from mdp.warehouse import LoadResult, get_warehouse
from ml.common.registry import ServingModel

COMMON_COLUMNS = (
    "model_name",
    "model_version",
    "mlflow_run_id",
    "feature_snapshot_date",
    "scored_at",
)


def with_provenance(
    frame: pd.DataFrame, serving: ServingModel, snapshot: date, schema: pa.Schema | None = None
) -> pa.Table:
    """The scores plus the common columns, as Arrow; `schema` fixes the scores' own column
    types (else inferred: a column that is all null would have no type)."""
    out = frame.reset_index(drop=True).copy()
    out["model_name"] = serving.name
    out["model_version"] = serving.version
    out["mlflow_run_id"] = serving.run_id
    if schema is not None:
        provenance = [pa.field(c, pa.string()) for c in COMMON_COLUMNS[:3]]
        schema = pa.schema([*schema, *provenance])
    table = pa.Table.from_pandas(out, schema=schema, preserve_index=False)
    rows = len(out)
    table = table.append_column(
        "feature_snapshot_date", pa.array([snapshot] * rows, type=pa.date32())
    )
    scored_at = datetime.now(UTC)
    return table.append_column(
        "scored_at", pa.array([scored_at] * rows, type=pa.timestamp("us", tz="UTC"))
    )


def write_scores(table: str, data: pa.Table, keys: Sequence[str], settings: Settings) -> LoadResult:
    """Merge scores into `scores.<table>` on `keys`."""
    with get_warehouse(settings) as warehouse:
        warehouse.ensure_schema("scores")
        return warehouse.merge(table, data, keys=list(keys))


def write_snapshot(table: str, data: pa.Table, snapshot: date, settings: Settings) -> LoadResult:
    """Replace the snapshot's rows of `scores.<table>` with `data` (partitioned by
    feature_snapshot_date): a rescore of the same day also drops who left the scope since
    (a lead converted, a customer churned), where a merge would keep their old rows."""
    with get_warehouse(settings) as warehouse:
        warehouse.ensure_schema("scores")
        return warehouse.replace_partition(
            table, data, column="feature_snapshot_date", value=snapshot
        )


def percent_score(probability: np.ndarray) -> np.ndarray:
    """The score people see: the probability in whole percent, 0-100."""
    return np.clip(np.rint(np.asarray(probability, dtype=float) * 100), 0, 100).astype(np.int64)


@dataclass(frozen=True)
class SkippedScoring:
    """A part of a model that wrote nothing this run (e.g. a churn horizon with no champion),
    and why; reported beside the LoadResults of the parts that scored."""

    table: str
    model: str
    reason: str
    rows: int = 0
