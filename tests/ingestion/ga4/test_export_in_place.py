"""On BigQuery the GA4 export is read in place: ingestion only checks its daily tables exist."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.ga4 import check_export_in_place
from ingestion.ga4.errors import ExportNotReadyError
from mdp.runtime.dbt import dbt_env
from mdp.settings import Settings
from tests.mdp.warehouse.bigquery_fake import RecordingBigQuery, bigquery_warehouse

DATASET = "analytics_412345678"


def test_existing_daily_tables_are_reported_and_nothing_is_copied() -> None:
    fake = RecordingBigQuery()
    for day in ("20250301", "20250303"):
        fake.tables[f"customer-proj.{DATASET}.events_{day}"] = []
    fake.tables[f"customer-proj.{DATASET}.events_intraday_20250302"] = []  # never counted
    with bigquery_warehouse(
        fake, ga4_export_dataset=DATASET, ga4_export_project="customer-proj"
    ) as warehouse:
        summary = check_export_in_place(
            warehouse, warehouse.settings, date(2025, 3, 1), date(2025, 3, 3)
        )
    assert summary == {
        "read_in_place": f"customer-proj.{DATASET}",
        "days": 2,
        "latest_day": "2025-03-03",
        "missing_days": ["2025-03-02"],
    }
    # metadata lookups only: no query job (nothing billed), no load, no copy
    assert not fake.queries and not fake.loads
    fake.client.copy_table.assert_not_called()
    fake.client.list_rows.assert_not_called()


def test_no_daily_table_in_the_window_is_not_ready() -> None:
    fake = RecordingBigQuery()
    with (
        bigquery_warehouse(fake, ga4_export_dataset=DATASET) as warehouse,
        pytest.raises(ExportNotReadyError, match=f"acme.{DATASET}"),
    ):
        check_export_in_place(warehouse, warehouse.settings, date(2025, 3, 1), date(2025, 3, 2))
    assert [c.args[0] for c in fake.client.get_table.call_args_list] == [
        f"acme.{DATASET}.events_20250301",
        f"acme.{DATASET}.events_20250302",
    ]


def test_dbt_reads_the_export_dataset_and_job_labels_from_settings() -> None:
    settings = Settings(
        warehouse="bigquery",
        bigquery={"project": "acme", "ga4_export_dataset": DATASET, "job_labels": {"app": "x"}},
    )
    env = dbt_env(settings)
    assert env["MDP_BIGQUERY__GA4_EXPORT_DATASET"] == DATASET
    assert env["MDP_BIGQUERY__GA4_EXPORT_PROJECT"] == "acme"
    assert env["MDP_BIGQUERY__JOB_LABELS"] == '{"app": "x"}'
    assert "MDP_BIGQUERY__GA4_EXPORT_DATASET" not in dbt_env(
        Settings(warehouse="bigquery", bigquery={"project": "acme"})
    )
