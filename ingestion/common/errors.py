"""Errors shared by the connectors."""

from mdp.errors import MdpError


class SchemaContractError(MdpError):
    """A batch does not satisfy its stream's schema (missing required field, type change)."""


class SourceError(MdpError):
    """The source API refused a request in a way retrying will not fix (auth, quota, bad query)."""


class SchemaChangeError(SchemaContractError, SourceError):
    """The source's schema changed in a way the stream's contract refuses (a declared field
    removed or renamed without a declared rename, a new field under `freeze`): the stream stops
    and its previous data stays as it was."""


class StateError(MdpError):
    """A stored cursor cannot be used (not a date/time, or in the future)."""

    exit_code = 2
