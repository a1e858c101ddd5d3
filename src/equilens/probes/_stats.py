"""Statistics shared by the text probes: paired tests, intervals and their JSON form."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from equilens.stats.intervals import newcombe_interval, wilson_interval
from equilens.stats.significance import adjust_p_values, compare_proportions


@dataclass
class ProbeTest:
    """One test of a probe: its name, statistic and p-value, or why it could not run."""

    test: str
    statistic: float | None
    p_value: float | None
    reason: str | None = None
    p_adjusted: float | None = None

    def to_dict(self) -> dict[str, Any]:
        result = {
            "test": self.test,
            "statistic": _finite(self.statistic),
            "p_value": _finite(self.p_value),
            "p_adjusted": _finite(self.p_adjusted),
        }
        if self.reason:
            result["reason"] = self.reason
        return result


def mcnemar_exact(escalated_base_only: int, escalated_variant_only: int) -> ProbeTest:
    """Exact McNemar test of paired binary decisions (McNemar, 1947).

    Only the discordant pairs count: the p-value is the two-sided binomial test of
    ``b`` successes in ``b + c`` trials at probability one half (statsmodels).
    """
    b, c = int(escalated_base_only), int(escalated_variant_only)
    if b + c == 0:
        return ProbeTest("mcnemar_exact", 0.0, 1.0, "no pair changed its decision")
    result = mcnemar([[0, b], [c, 0]], exact=True)
    return ProbeTest("mcnemar_exact", float(result.statistic), float(result.pvalue))


#: Largest sample for which scipy's wilcoxon, given ties or zeros, uses the exact
#: sign-flip distribution (2**13 sign patterns) instead of the normal approximation.
EXACT_SIGN_FLIPS_MAX_N = 13


def wilcoxon_signed_rank(differences: Sequence[float] | np.ndarray) -> ProbeTest:
    """Wilcoxon signed-rank test that paired score differences are centred on zero.

    Zero differences are dropped (scipy's ``zero_method="wilcox"``), so when every
    difference is zero there is nothing to rank and the p-value is 1 with that reason.
    The p-value is scipy's (1.15, ``method="auto"``). For samples of at most 13 with
    ties or zeros, scipy enumerates every sign pattern in a permutation test, which
    takes a tenth of a second per test; `_sign_flip_p_value` computes the same
    distribution in one matrix product.
    """
    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return ProbeTest("wilcoxon_signed_rank", None, None, "no score differences")
    nonzero = values[values != 0]
    if nonzero.size == 0:
        return ProbeTest("wilcoxon_signed_rank", 0.0, 1.0, "every score difference is zero")
    ranks = stats.rankdata(np.abs(nonzero))
    tied = len(np.unique(ranks)) < len(ranks)
    if (tied or nonzero.size < values.size) and values.size <= EXACT_SIGN_FLIPS_MAX_N:
        positive = float(ranks[nonzero > 0].sum())
        # scipy reports the smaller of the positive and negative rank sums.
        statistic = min(positive, float(ranks.sum()) - positive)
        return ProbeTest("wilcoxon_signed_rank", statistic, _sign_flip_p_value(ranks, positive))
    result = stats.wilcoxon(values, zero_method="wilcox")
    return ProbeTest("wilcoxon_signed_rank", float(result.statistic), float(result.pvalue))


def _sign_flip_p_value(ranks: np.ndarray, statistic: float) -> float:
    """Return the two-sided p-value of the sum of positive ranks over all sign patterns."""
    n = len(ranks)
    patterns = (np.arange(2**n)[:, None] >> np.arange(n)) & 1
    null = patterns @ ranks
    tolerance = abs(statistic) * 1e-14
    less = np.mean(null <= statistic + tolerance)
    greater = np.mean(null >= statistic - tolerance)
    return float(min(1.0, 2 * min(less, greater)))


def two_proportions(successes: int, trials: int, ref_successes: int, ref_trials: int) -> ProbeTest:
    """Two-sided test of two independent proportions (z-test, or Fisher's for small counts)."""
    result = compare_proportions(successes, trials, ref_successes, ref_trials)
    return ProbeTest(result.test or "two_proportion_z", None, result.p_value, result.reason)


def adjust(tests: Sequence[ProbeTest], *, method: str) -> None:
    """Set ``p_adjusted`` on every test with a p-value, adjusting them together."""
    tested = [test for test in tests if test.p_value is not None]
    adjusted = adjust_p_values([test.p_value for test in tested], method=method)
    for test, value in zip(tested, adjusted, strict=True):
        test.p_adjusted = value


def proportion(successes: int, trials: int, *, level: float, reason: str) -> dict[str, Any]:
    """Return a proportion with its Wilson interval, or null with `reason` when 0/0."""
    if trials == 0:
        return {"value": None, "ci": None, "reason": reason}
    lower, upper = wilson_interval(int(successes), int(trials), level=level)
    return {"value": successes / trials, "ci": [lower, upper], "ci_method": "wilson"}


def proportion_difference(
    successes: int, trials: int, ref_successes: int, ref_trials: int, *, level: float
) -> dict[str, Any]:
    """Return ``p - p_ref`` with Newcombe's hybrid score interval."""
    if trials == 0 or ref_trials == 0:
        return {"value": None, "ci": None, "reason": "a proportion has no trials"}
    lower, upper = newcombe_interval(
        int(successes), int(trials), int(ref_successes), int(ref_trials), level=level
    )
    value = successes / trials - ref_successes / ref_trials
    return {"value": value, "ci": [lower, upper], "ci_method": "newcombe"}


def cell_rng(seed: int, key: str) -> np.random.Generator:
    """Return a generator that depends only on the seed and the cell's key."""
    return np.random.default_rng([seed, zlib.crc32(key.encode("utf-8"))])


def bootstrap_mean(
    values: Sequence[float] | np.ndarray,
    *,
    level: float,
    replicates: int,
    rng: np.random.Generator,
    reason: str = "no values",
) -> dict[str, Any]:
    """Return the mean of `values` with a percentile bootstrap interval over the values."""
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return {"value": None, "ci": None, "reason": reason}
    mean = float(array.mean())
    if array.size == 1 or np.all(array == array[0]):
        return {"value": mean, "ci": None, "ci_reason": "every value is the same"}
    draws = rng.choice(array, size=(replicates, array.size), replace=True).mean(axis=1)
    alpha = 1 - level
    lower, upper = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return {"value": mean, "ci": [float(lower), float(upper)], "ci_method": "bootstrap"}


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
