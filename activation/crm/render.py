"""A sync's diff for the terminal: what would change per object and field, and a sample of
records before → after (the whole diff is in activation.sync_diffs and `--output`)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from rich.table import Table

from .sync import SyncResult

REASONS = ("new", "changed", "left", "retry")
_SHOWN = 60  # characters of a value in the sample


def objects_table(result: SyncResult) -> Table:
    """Per mapped object: records in scope and what the run would do with them."""
    table = Table(
        "object",
        "CRM object",
        "in scope",
        "new",
        "changed",
        "cleared",
        "retried",
        "unchanged",
        "not in CRM",
        "changing",
        title=f"{result.target}: records per object",
    )
    for row in result.objects:
        table.add_row(
            row["object"],
            row["crm_object"],
            f"{row['in_scope']:,}",
            f"{row['new']:,}",
            f"{row['changed']:,}",
            f"{row['left']:,}",
            f"{row['retried']:,}",
            f"{row['unchanged']:,}",
            f"{row['not_in_crm']:,}",
            f"{row['changing_share']:.0%}",
        )
    return table


def fields_table(result: SyncResult) -> Table:
    """Per object and CRM field: how many records it would change, and why."""
    counts: Counter[tuple[str, str, str]] = Counter(
        (d["object"], d["crm_field"], d["reason"]) for d in result.diffs
    )
    fields = sorted({(obj, name) for obj, name, _ in counts})
    table = Table("object", "CRM field", *REASONS, title="Field changes (records)")
    for obj, name in fields:
        table.add_row(obj, name, *(f"{counts[(obj, name, r)]:,}" for r in REASONS))
    return table


def _shown(value: Any) -> str:
    text = "∅" if value is None else str(value).replace("\n", " | ")
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def sample_table(result: SyncResult, records: int = 5) -> Table:
    """Up to `records` records per object with every field that changes, before → after."""
    by_record: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for d in result.diffs:
        by_record[(d["object"], d["record_key"])].append(d)
    table = Table("object", "record", "CRM field", "before", "after", title="Sample of records")
    shown: Counter[str] = Counter()
    for (obj, key), diffs in by_record.items():
        if shown[obj] >= records:
            continue
        shown[obj] += 1
        for i, d in enumerate(diffs):
            table.add_row(
                obj if i == 0 else "",
                f"{key} ({d['reason']})" if i == 0 else "",
                d["crm_field"],
                _shown(d["old_value"]),
                _shown(d["new_value"]),
            )
        table.add_section()
    return table


def write_diff(result: SyncResult, path: Path) -> int:
    """The whole diff as CSV (one row per record and field); the rows written."""
    columns = [
        *("object", "record_key", "crm_object", "crm_field"),
        *("reason", "old_value", "new_value"),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result.diffs)
    return len(result.diffs)
