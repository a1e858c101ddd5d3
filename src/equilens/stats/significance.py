"""Significance tests of group differences and the correction for multiple testing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

MIN_EXPECTED_COUNT = 5
MULTIPLE_TESTING_METHODS = {"benjamini-hochberg": "fdr_bh", "holm": "holm"}


@dataclass(frozen=True)
class TestResult:
    """Outcome of one test: its name and p-value, or the reason no test could run."""

    test: str | None
    p_value: float | None
    reason: str | None = None


def compare_proportions(
    successes: int, trials: int, reference_successes: int, reference_trials: int
) -> TestResult:
    """Test whether two independent proportions differ (two-sided).

    Uses the pooled two-proportion z-test, or Fisher's exact test when an expected count
    of the 2x2 table is below 5, where the normal approximation is unreliable.
    """
    if trials == 0 or reference_trials == 0:
        return TestResult(None, None, "a proportion has no trials in one of the groups")
    table = np.array(
        [
            [successes, trials - successes],
            [reference_successes, reference_trials - reference_successes],
        ]
    )
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    if expected.min() < MIN_EXPECTED_COUNT:
        return TestResult("fisher_exact", float(stats.fisher_exact(table).pvalue))
    _, p_value = proportions_ztest(
        [successes, reference_successes], [trials, reference_trials], alternative="two-sided"
    )
    return TestResult("two_proportion_z", float(p_value))


def compare_means(
    mean: float,
    variance: float,
    n: int,
    reference_mean: float,
    reference_variance: float,
    reference_n: int,
) -> TestResult:
    """Welch's t-test of two means from their summary statistics."""
    if n < 2 or reference_n < 2:
        return TestResult(None, None, "Welch's t-test needs at least two rows in each group")
    if variance == 0 and reference_variance == 0:
        p_value = 1.0 if mean == reference_mean else 0.0
        return TestResult("welch_t", p_value)
    result = stats.ttest_ind_from_stats(
        mean,
        math.sqrt(variance),
        n,
        reference_mean,
        math.sqrt(reference_variance),
        reference_n,
        equal_var=False,
    )
    return TestResult("welch_t", float(result.pvalue))


def bootstrap_p_value(differences: np.ndarray) -> TestResult:
    """Return a two-sided bootstrap p-value of a zero difference.

    Twice the smaller share of replicates on either side of zero, with the add-one
    correction so that the p-value is never exactly zero.
    """
    defined = differences[~np.isnan(differences)]
    if defined.size == 0:
        return TestResult(None, None, "the difference is undefined in every bootstrap replicate")
    tail = min(np.count_nonzero(defined <= 0), np.count_nonzero(defined >= 0))
    p_value = min(1.0, 2 * (tail + 1) / (defined.size + 1))
    return TestResult("bootstrap", p_value)


def homogeneity_test(successes: np.ndarray, trials: np.ndarray) -> TestResult:
    """Chi-square test that a proportion is the same in every group.

    The test is reported even when some expected counts are below 5, where it is only
    approximate, and the result's reason states that.
    """
    keep = trials > 0
    if keep.sum() < 2:
        return TestResult(None, None, "fewer than two groups have a defined proportion")
    table = np.column_stack([successes[keep], trials[keep] - successes[keep]])
    if (table.sum(axis=0) == 0).any():
        return TestResult("chi_square", 1.0)
    result = stats.chi2_contingency(table, correction=False)
    note = None
    if result.expected_freq.min() < MIN_EXPECTED_COUNT:
        note = "approximate: some expected counts are below 5"
    return TestResult("chi_square", float(result.pvalue), note)


def adjust_p_values(p_values: list[float], *, method: str) -> list[float]:
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    p_values : list of float
        Every p-value of the audit.
    method : {"benjamini-hochberg", "holm"}
        Benjamini-Hochberg controls the false discovery rate; Holm controls the
        family-wise error rate.
    """
    if not p_values:
        return []
    _, adjusted, _, _ = multipletests(p_values, method=MULTIPLE_TESTING_METHODS[method])
    return [float(value) for value in adjusted]


def minimum_detectable_difference(
    reference_rate: float, trials: int, reference_trials: int, *, level: float, power: float = 0.8
) -> float | None:
    """Return the smallest difference of proportions a two-sided test detects with `power`.

    Normal approximation at the reference group's rate: (z_(1-a/2) + z_power) times the
    standard error of the difference at the two group sizes.
    """
    if trials == 0 or reference_trials == 0:
        return None
    rate = reference_rate if 0 < reference_rate < 1 else 0.5
    z = stats.norm.ppf(1 - (1 - level) / 2) + stats.norm.ppf(power)
    return float(z * math.sqrt(rate * (1 - rate) * (1 / trials + 1 / reference_trials)))
