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
    """More records would change than the guardrail allows; rerun with --force if intended."""

    exit_code = 3


class SyncErrorRateError(PipelineError):
    """More records failed than the configured error rate allows."""
