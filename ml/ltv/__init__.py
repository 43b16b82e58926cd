"""Customer lifetime value: BG/NBD × Gamma-Gamma for buyers, churn-hazard LTV for subscribers."""

from ml.ltv.bgnbd import expected_purchases, fit_bgnbd, probability_alive
from ml.ltv.errors import LtvFitError, LtvInputError
from ml.ltv.gamma_gamma import expected_average_spend, fit_gamma_gamma
from ml.ltv.mle import FitResult
from ml.ltv.value import contractual_ltv, noncontractual_ltv

__all__ = [
    "FitResult",
    "LtvFitError",
    "LtvInputError",
    "contractual_ltv",
    "expected_average_spend",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "noncontractual_ltv",
    "probability_alive",
]
