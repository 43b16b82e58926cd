"""The project compiles for BigQuery (target `bigquery`, no credentials, no network) and the
compiled SQL of every model and test parses in sqlglot's BigQuery dialect.

dbt-bigquery is stubbed at its connection boundary only: the connection is never opened and
relation lookups answer "absent" (a first build) or "present" (an incremental run, so the
`is_incremental()` branches compile too). Everything else is the real adapter and its macros.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlglot

ROOT = Path(__file__).resolve().parents[2]
LABELS = {"app": "mdp", "env": "Prod EU"}

_COMPILE = textwrap.dedent(
    """
    import sys
    from unittest import mock

    from dbt.adapters.bigquery.connections import BigQueryConnectionManager
    from dbt.adapters.bigquery.impl import BigQueryAdapter
    from dbt.cli.main import dbtRunner

    incremental = sys.argv[2] == "incremental"

    def fake_open(cls, connection):
        connection.handle = mock.MagicMock()
        connection.state = "open"
        return connection

    def get_relation(self, database, schema, identifier):
        if not incremental:
            return None
        return self.Relation.create(
            database=database, schema=schema, identifier=identifier, type="table"
        )

    with (
        mock.patch.object(BigQueryConnectionManager, "open", classmethod(fake_open)),
        mock.patch.object(BigQueryAdapter, "list_relations_without_caching", lambda s, r: []),
        mock.patch.object(BigQueryAdapter, "get_relation", get_relation),
    ):
        result = dbtRunner().invoke(
            ["compile", "--target", "bigquery", "--target-path", sys.argv[1], "--no-introspect"]
        )
    # what every dbt job would carry: labels from the query comment, the bytes cap
    import json
    from dbt.adapters.factory import FACTORY

    adapter = next(iter(FACTORY.adapters.values()))
    guards = {
        "labels": adapter.connections.get_labels_from_query_comment(),
        "maximum_bytes_billed": adapter.config.credentials.maximum_bytes_billed,
    }
    with open(sys.argv[1] + "/guards.json", "w") as out:
        json.dump(guards, out)
    sys.exit(0 if result.success else 1)
    """
)


def _compile(tmp_path: Path, mode: str) -> Path:
    target = tmp_path / f"target-{mode}"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT / "dbt_project"),
        "MDP_BIGQUERY_AUTH_METHOD": "oauth",
        "MDP_BIGQUERY__PROJECT": "mdp-compile-check",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "PYTHONPATH": str(ROOT),
        "MDP_BIGQUERY__MAXIMUM_BYTES_BILLED": "123456789",
        "MDP_BIGQUERY__JOB_LABELS": json.dumps(LABELS),
    }
    if mode == "incremental":  # the GA4 export read in place (the other run: the raw copy)
        env["MDP_BIGQUERY__GA4_EXPORT_DATASET"] = "analytics_123456"
    else:
        env.pop("MDP_BIGQUERY__GA4_EXPORT_DATASET", None)
    done = subprocess.run(
        [sys.executable, "-c", _COMPILE, str(target), mode],
        cwd=ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return target / "compiled"


@pytest.mark.parametrize("mode", ["first_build", "incremental"])
def test_every_model_compiles_to_bigquery_sql_that_parses(tmp_path: Path, mode: str) -> None:
    compiled = _compile(tmp_path, mode)
    files = sorted(compiled.rglob("*.sql"))
    models = [f for f in files if "/models/" in f.as_posix()]
    assert len(models) >= 40, f"only {len(models)} compiled models"
    failures = []
    for path in files:
        try:
            sqlglot.parse(path.read_text(), read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.SqlglotError as error:
            failures.append(f"{path.relative_to(compiled)}: {str(error)[:200]}")
    assert not failures, "\n".join(failures)
    # the BigQuery-only branches really compiled: partition pruning on the incremental mart
    ads = next(f for f in models if f.name == "fct_ad_performance_daily.sql").read_text()
    assert "`mdp-compile-check`" in ads or "mdp-compile-check" in ads

    # every dbt job is capped and labelled: the profile's cap, the platform's labels (sanitised
    # as BigQuery requires) plus the target
    guards = json.loads((compiled.parent / "guards.json").read_text())
    assert guards["maximum_bytes_billed"] == 123456789
    assert guards["labels"] == {"app": "mdp", "env": "prod_eu", "dbt_target": "bigquery"}
    # every incremental model replaces whole date partitions on BigQuery
    manifest = json.loads((compiled.parent / "manifest.json").read_text())
    incrementals = {
        node["name"]: node["config"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }
    assert "fct_ad_performance_daily" in incrementals
    for name, config in incrementals.items():
        assert config["incremental_strategy"] == "insert_overwrite", name
        assert config["partition_by"]["data_type"] == "date", name
    events = next(f for f in models if f.name == "stg_ga4__events.sql").read_text()
    if mode == "incremental":
        # read in place from the customer's export, daily tables only, never the raw copy
        assert "`mdp-compile-check`.`analytics_123456`.`events_*`" in events
        assert "regexp_contains(_table_suffix" in events and "ga4_events" not in events
    else:
        assert "`raw`.`ga4_events`" in events and "analytics_" not in events
