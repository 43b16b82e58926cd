"""Errors a caller of the attribution models can cause."""

from __future__ import annotations

from mdp.errors import MdpError


class AttributionError(MdpError):
    """Paths or settings the attribution models cannot use (no conversion, bad counts ...)."""
