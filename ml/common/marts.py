"""Reading mart columns into pandas through the warehouse layer (DuckDB or BigQuery)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mdp.warehouse import Warehouse
from ml.common.errors import NotEnoughDataError


def read_columns(warehouse: Warehouse, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """`select <columns> from <table>` as a DataFrame; a clear error when the mart is missing."""
    if not warehouse.table_exists(table):
        raise NotEnoughDataError(
            f"{table} does not exist: build the marts first (`mdp transform` or `mdp run`)"
        )
    # aliased so the frame's names are as written here, whatever case the table stores
    listed = ", ".join(f"{c} as {c}" for c in columns)
    frame: pd.DataFrame = warehouse.query(
        f"select {listed} from {warehouse.qualified_name(table)}"
    ).to_pandas()
    return frame
