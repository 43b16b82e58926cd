"""Errors shared by the connectors."""

from mdp.errors import MdpError


class SchemaContractError(MdpError):
    """A batch does not satisfy its stream's schema (missing required field, type change)."""


class SourceError(MdpError):
    """The source API refused a request in a way retrying will not fix (auth, quota, bad query)."""
