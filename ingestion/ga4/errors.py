"""Errors of the GA4 connector."""

from mdp.errors import MdpError


class ExportNotReadyError(MdpError):
    """The daily export table/file for a day does not exist (yet)."""
