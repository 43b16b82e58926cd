"""Two-proportion statistics for A/B tests: z-test, lift intervals, power, MDE and SRM."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import optimize, stats

#: How every figure below is computed, stated once for the table, the CLI and the report.
METHOD = (
    "normal approximation; z-test with pooled variance under H0; Wald CI for the absolute "
    "lift with unpooled variance; log-ratio (Katz) CI for the relative lift; sample size and "
    "MDE with pooled variance under H0 for the alpha term and unpooled under H1 for the power "
    "term; SRM: chi-square goodness of fit against the designed allocation"
)


@dataclass(frozen=True)
class LiftTest:
    """Treatment vs control on one conversion: the test and both lift intervals."""

    absolute_lift: float
    absolute_ci: tuple[float, float]
    relative_lift: float | None
    relative_ci: tuple[float, float] | None
    z_statistic: float
    p_value: float


def _z(alpha: float) -> float:
    """Two-sided critical value."""
    return float(stats.norm.ppf(1 - alpha / 2))


def lift_test(
    treated_conversions: int,
    treated_n: int,
    control_conversions: int,
    control_n: int,
    alpha: float = 0.05,
) -> LiftTest:
    """Two-sided two-proportion z-test of treatment vs control and the (1 - alpha) intervals.

    Variance assumptions (normal approximation): the test uses the pooled rate under H0
    (same as statsmodels `proportions_ztest`); the absolute-lift interval is Wald with
    unpooled variance; the relative-lift interval is the log-ratio (Katz) interval
    exp(log(pt/pc) +- z sqrt((1-pt)/xt + (1-pc)/xc)) - 1. A relative lift needs control
    conversions, its interval conversions in both arms (else None). With no conversions
    (or only conversions) in both arms the z statistic is undefined: z = 0, p = 1.
    """
    if min(treated_n, control_n) <= 0:
        raise ValueError("both arms need at least one exposed user")
    pt, pc = treated_conversions / treated_n, control_conversions / control_n
    diff = pt - pc
    pooled = (treated_conversions + control_conversions) / (treated_n + control_n)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / treated_n + 1 / control_n))
    z = diff / se0 if se0 > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z)))
    crit = _z(alpha)
    se1 = math.sqrt(pt * (1 - pt) / treated_n + pc * (1 - pc) / control_n)
    relative = pt / pc - 1 if pc > 0 else None
    relative_ci = None
    if treated_conversions > 0 and control_conversions > 0:
        log_se = math.sqrt((1 - pt) / treated_conversions + (1 - pc) / control_conversions)
        log_ratio = math.log(pt / pc)
        relative_ci = (
            math.exp(log_ratio - crit * log_se) - 1,
            math.exp(log_ratio + crit * log_se) - 1,
        )
    return LiftTest(diff, (diff - crit * se1, diff + crit * se1), relative, relative_ci, z, p_value)


def sample_size(
    baseline: float,
    absolute_effect: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> tuple[int, int]:
    """Control and treatment users a two-sided z-test needs to detect `absolute_effect`.

    `ratio` = treatment users per control user. Normal approximation with the pooled rate
    under H0 for the alpha term and the two arms' own rates under H1 for the power term:
    n_c = (z_a sqrt(p (1-p) (1 + 1/r)) + z_b sqrt(pc (1-pc) + pt (1-pt) / r))^2 / d^2.
    """
    treated = baseline + absolute_effect
    if not 0 < baseline < 1 or not 0 < treated < 1 or absolute_effect == 0:
        raise ValueError("baseline and baseline + effect must lie in (0, 1), effect non-zero")
    pooled = (baseline + ratio * treated) / (1 + ratio)
    term_alpha = _z(alpha) * math.sqrt(pooled * (1 - pooled) * (1 + 1 / ratio))
    term_power = float(stats.norm.ppf(power)) * math.sqrt(
        baseline * (1 - baseline) + treated * (1 - treated) / ratio
    )
    control_n = math.ceil((term_alpha + term_power) ** 2 / absolute_effect**2)
    return control_n, math.ceil(control_n * ratio)


def power_at(
    baseline: float, absolute_effect: float, control_n: int, treated_n: int, alpha: float = 0.05
) -> float:
    """Power of the two-sided z-test for a true `absolute_effect` (same variance assumptions
    as `sample_size`; the far tail is ignored)."""
    treated = baseline + absolute_effect
    pooled = (control_n * baseline + treated_n * treated) / (control_n + treated_n)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / control_n + 1 / treated_n))
    se1 = math.sqrt(baseline * (1 - baseline) / control_n + treated * (1 - treated) / treated_n)
    if se1 == 0:
        return 1.0 if absolute_effect else alpha
    return float(stats.norm.cdf((abs(absolute_effect) - _z(alpha) * se0) / se1))


def minimum_detectable_effect(
    baseline: float, control_n: int, treated_n: int, alpha: float = 0.05, power: float = 0.8
) -> float | None:
    """Smallest absolute uplift the test detects with `power` at these sample sizes (the
    inverse of `sample_size`); None when the baseline is 0 or 1 or no uplift is detectable."""
    if not 0 < baseline < 1:
        return None
    room = 1 - baseline - 1e-9
    if power_at(baseline, room, control_n, treated_n, alpha) < power:
        return None
    return float(
        optimize.brentq(
            lambda d: power_at(baseline, d, control_n, treated_n, alpha) - power,
            1e-9,
            room,
            xtol=1e-10,
        )
    )


@dataclass(frozen=True)
class SampleRatioCheck:
    """Observed split vs designed allocation."""

    chi2: float
    p_value: float
    expected_shares: tuple[float, ...]


def sample_ratio_check(observed: Sequence[int], allocation: Sequence[float]) -> SampleRatioCheck:
    """Chi-square goodness of fit of the users per variant against the designed shares."""
    if len(observed) != len(allocation) or len(observed) < 2:
        raise ValueError("one designed share per variant, at least two variants")
    total_share = float(sum(allocation))
    shares = tuple(float(a) / total_share for a in allocation)
    total = sum(observed)
    chi2, p_value = stats.chisquare(list(observed), [total * s for s in shares])
    return SampleRatioCheck(float(chi2), float(p_value), shares)
