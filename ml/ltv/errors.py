"""Errors a caller of the LTV models can cause."""

from __future__ import annotations

from mdp.errors import MdpError


class LtvInputError(MdpError):
    """Customer data (frequency, recency, T, spend, churn probabilities) the models cannot use."""


class LtvFitError(MdpError):
    """Maximum likelihood did not reach a usable optimum."""
