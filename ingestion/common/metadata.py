"""Load metadata on every raw row: which run loaded it, when it was extracted and loaded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa

RUN_ID = "_mdp_run_id"
EXTRACTED_AT = "_mdp_extracted_at"
LOADED_AT = "_mdp_loaded_at"
#: Columns that differ between two loads of the same data (excluded from content checksums).
LOAD_COLUMNS = (RUN_ID, EXTRACTED_AT, LOADED_AT)
_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class LoadContext:
    """One run's identity and clock, stamped on every row it loads."""

    run_id: str
    extracted_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def stamp(batch: pa.RecordBatch | pa.Table, context: LoadContext) -> pa.Table:
    """Append the load metadata columns to a batch."""
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    n = table.num_rows
    loaded_at = datetime.now(UTC)
    table = table.append_column(RUN_ID, pa.repeat(pa.scalar(context.run_id, pa.string()), n))
    table = table.append_column(EXTRACTED_AT, pa.repeat(pa.scalar(context.extracted_at, _TS), n))
    return table.append_column(LOADED_AT, pa.repeat(pa.scalar(loaded_at, _TS), n))


def stamp_all(
    batches: Iterable[pa.RecordBatch | pa.Table], context: LoadContext
) -> Iterator[pa.RecordBatch]:
    """Stamp a stream of batches, yielding record batches (bounded memory)."""
    for batch in batches:
        yield from stamp(batch, context).to_batches()
