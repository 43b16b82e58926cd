"""Named exceptions raised by the simulated world."""

from __future__ import annotations


class WorldError(Exception):
    """Base class for every error the sandbox world raises."""


class WorldConfigError(WorldError, ValueError):
    """A WorldConfig value is out of range or inconsistent."""


class UnknownTableError(WorldError, KeyError):
    """A table name that the world does not hold (or cannot view) was requested."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown table"


class WorldIntegrityError(WorldError):
    """A saved world on disk does not match its manifest."""
