"""Errors a user can cause, each with an actionable message and the CLI exit code it maps to."""

from __future__ import annotations


class MdpError(Exception):
    """Base class: the CLI prints the message (no traceback) and exits with `exit_code`."""

    exit_code = 1


class ConfigError(MdpError):
    """Invalid or missing configuration (environment, .env, Airflow connection)."""

    exit_code = 2


class WarehouseError(MdpError):
    """A warehouse operation was refused; the target is left as it was."""


class DuplicateKeyError(WarehouseError):
    """A batch holds the same natural key more than once, so a merge would be ambiguous."""


class SchemaMismatchError(WarehouseError):
    """A batch's columns do not fit the target table (missing key, incompatible type)."""


class WarehouseUnavailableError(MdpError):
    """The warehouse cannot take work now (its file is held by another process, or there is no
    space left to write). Not a WarehouseError: the batch is fine, so a loader must not quarantine
    it; the run stops and is rerun once the cause is gone."""


class WarehouseBusyError(WarehouseUnavailableError):
    """Another process holds the DuckDB file open (DuckDB allows one writing process)."""


class WarehouseFullError(WarehouseUnavailableError):
    """A write ran out of space (disk full, quota, file-size limit)."""


class UnknownCursorError(MdpError):
    """A source or stream with no ingestion cursor (a usage error: exit code 2)."""

    exit_code = 2


class PipelineError(MdpError):
    """A DAG run or pipeline stage failed."""


class TransformError(MdpError):
    """dbt failed to build a model or a test failed."""
