"""The demo's closing summary says what the data contracts caught."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
from rich.console import Console

from ingestion.common.contracts import SchemaChange, record_changes
from ingestion.common.loader import quarantine
from ingestion.common.metadata import LoadContext
from ingestion.common.schema import StreamSchema, fields
from mdp.runtime.pipeline_run import contracts_summary
from mdp.settings import Settings
from mdp.warehouse import get_warehouse


def test_summary_counts_quarantined_records_and_schema_changes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    console = Console(record=True, width=200)
    contracts_summary(settings, console)
    assert "0 record(s) quarantined, 0 source schema change(s)" in console.export_text()
    schema = StreamSchema("raw.google_ads_ads", ("id",), fields(("id", pa.string())))
    with get_warehouse(settings) as wh:
        day = (date(2025, 1, 1), date(2025, 1, 1))
        quarantine(wh, schema, pa.table({"id": ["a", "b"]}), day, LoadContext("r"), "bad")
        record_changes(wh, "google_ads", "ads", [SchemaChange("x", "added", "new", "kept")], "r")
    contracts_summary(settings, console)
    assert (
        "2 record(s) quarantined (quarantine.google_ads_ads 2), 1 source schema change(s)"
        in console.export_text()
    )
