"""Synthetic people: names and e-mail addresses at a company domain."""

from __future__ import annotations

import numpy as np

from sandbox.world.vocab import FIRST_NAMES, LAST_NAMES


def draw_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last names."""
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    return first, last


def emails(first: np.ndarray, last: np.ndarray, domain: np.ndarray) -> np.ndarray:
    """first.last@domain, lower case."""
    first, last, domain = (np.asarray(a, dtype=str) for a in (first, last, domain))
    local = np.char.add(np.char.add(first, "."), last)
    return np.char.lower(np.char.add(np.char.add(local, "@"), domain))
