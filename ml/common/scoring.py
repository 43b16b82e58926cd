"""Score tables: every row carries the model, its version, its MLflow run, the feature snapshot
and when it was scored; rows merge on their keys so a rerun for a snapshot replaces itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

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
