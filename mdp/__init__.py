"""mdp: an open-source marketing data platform (ingest, model, learn, act)."""

from pathlib import Path

__version__ = "0.1.0"

#: The repository root: dags/, dbt_project/ and the default `.local/` state live under it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
