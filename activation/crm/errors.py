"""Errors the CRM sync raises: bad mapping, a field the CRM does not have, guardrail, error rate."""

from __future__ import annotations

from mdp.errors import ConfigError, MdpError, PipelineError


class MappingError(ConfigError):
    """The mapping YAML is invalid (unknown column, bad type, missing target section)."""


class CrmFieldError(ConfigError):
    """A mapped field is unknown to the CRM, read-only, or of an incompatible type."""


class CrmApiError(MdpError):
    """The CRM refused a call that is not about one record (auth, a whole job or batch)."""


class GuardrailError(MdpError):
    """More records would change than the guardrail allows; rerun with --force if intended.
    `result` is the aborted run (its diff), for the caller to show what would have changed."""

    exit_code = 3

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class SyncErrorRateError(PipelineError):
    """More records failed than the configured error rate allows."""
