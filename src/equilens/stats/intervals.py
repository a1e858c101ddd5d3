"""Closed-form intervals used where a bootstrap distribution degenerates to a point.

A percentile bootstrap of a proportion observed at 0 or 1 (one approval out of one
applicant) returns that single value in every replicate. These intervals keep the
uncertainty of a small group visible instead.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint


def wilson_interval(successes: int, trials: int, *, level: float) -> tuple[float, float]:
    """Return the Wilson score interval of a proportion (Wilson, 1927)."""
    lower, upper = proportion_confint(successes, trials, alpha=1 - level, method="wilson")
    return float(lower), float(upper)


def newcombe_interval(
    successes: int, trials: int, reference_successes: int, reference_trials: int, *, level: float
) -> tuple[float, float]:
    """Return Newcombe's hybrid score interval of the difference ``p - p_reference``.

    Newcombe (1998), "Interval estimation for the difference between independent
    proportions", method 10.
    """
    lower, upper = confint_proportions_2indep(
        successes,
        trials,
        reference_successes,
        reference_trials,
        method="newcomb",
        compare="diff",
        alpha=1 - level,
    )
    return float(lower), float(upper)


def mover_ratio_interval(
    successes: int, trials: int, reference_successes: int, reference_trials: int, *, level: float
) -> tuple[float, float] | None:
    """Return the MOVER-R interval of the ratio ``p / p_reference`` from Wilson intervals.

    Donner and Zou (2012), "Closed-form confidence intervals for functions of the normal
    mean and standard deviation", Statistical Methods in Medical Research 21(4), applied to
    two independent proportions. Returns None when the reference proportion is zero.
    """
    if reference_successes == 0:
        return None
    p1 = successes / trials
    p2 = reference_successes / reference_trials
    l1, u1 = wilson_interval(successes, trials, level=level)
    l2, u2 = wilson_interval(reference_successes, reference_trials, level=level)

    product = p1 * p2
    lower_root = max(product**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0.0)
    upper_root = max(product**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0.0)
    lower = (product - math.sqrt(lower_root)) / (u2 * (2 * p2 - u2))
    upper_denominator = l2 * (2 * p2 - l2)
    upper = (
        (product + math.sqrt(upper_root)) / upper_denominator if upper_denominator > 0 else math.inf
    )
    return max(lower, 0.0), upper


def percentile_interval(replicates: np.ndarray, *, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return percentile bounds over the first axis, ignoring undefined (NaN) replicates."""
    alpha = 1 - level
    with warnings.catch_warnings():
        # A group whose metric is undefined in every replicate yields NaN bounds.
        warnings.filterwarnings("ignore", message="All-NaN slice encountered")
        lower, upper = np.nanquantile(replicates, [alpha / 2, 1 - alpha / 2], axis=0)
    return lower, upper
