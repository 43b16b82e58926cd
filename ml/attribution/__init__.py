"""Data-driven attribution: exact Markov chain removal effects and Shapley values of journeys."""

from ml.attribution.errors import AttributionError
from ml.attribution.model import AttributionResult, paths

__all__ = ["AttributionError", "AttributionResult", "paths"]
