"""A/B test analysis of the experiments mart into activation.experiment_results."""

from __future__ import annotations

import pyarrow as pa

from activation.experiments.analysis import KEYS, SOURCE, TABLE, analyse
from mdp.errors import WarehouseError
from mdp.settings import Settings
from mdp.warehouse import get_warehouse

__all__ = ["TABLE", "analyse", "run"]


def run(settings: Settings) -> pa.Table:
    """Analyse every experiment in the mart; merge the rows into activation.experiment_results."""
    with get_warehouse(settings) as warehouse:
        if not warehouse.table_exists(SOURCE):
            raise WarehouseError(f"{SOURCE} does not exist: build the marts first (mdp transform)")
        counts = warehouse.query(
            "select experiment_id, variant_id, conversion_event, exposed_users, converted_users"
            f" from {warehouse.qualified_name(SOURCE)}"
        ).to_pandas()
        table = analyse(counts, settings.experiments)
        if table.num_rows:
            warehouse.ensure_schema(TABLE.split(".")[0])
            warehouse.merge(TABLE, table, keys=list(KEYS))
    return table
