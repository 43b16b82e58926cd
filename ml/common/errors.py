"""Errors a user can cause when training or scoring models."""

from __future__ import annotations

from mdp.errors import MdpError


class NotEnoughDataError(MdpError):
    """Too few rows (or outcomes) in the marts to train or evaluate a model."""


class UnknownModelError(MdpError):
    """A model name that is not in the catalogue (a usage error: exit code 2)."""

    exit_code = 2


class NoChampionError(MdpError):
    """Scoring needs a champion model and the registry has none."""


class NoTrainingRunError(MdpError):
    """Scoring needs a finished training run of the model and its experiment has none."""
