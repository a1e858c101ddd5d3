"""Krippendorff's alpha and Cohen's kappa with bootstrap intervals over items.

Point values come from the `krippendorff` package and from scikit-learn's
`cohen_kappa_score`. Bootstrap replicates resample items with replacement. Two values are
computed here: alpha with sampling weights, which counts each item's pairs of labels with
the item's weight in the coincidence matrix, and kappa from a confusion matrix for fast
replicates. The tests check both against the packages.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

from equilens.metrics.table import Estimate
from equilens.stats.intervals import percentile_interval

NO_PAIRS = "no item has labels from two or more annotators"
NO_VARIATION = (
    "every label of the items labelled more than once is the same, so there is no variation "
    "to agree on and alpha is undefined (its expected disagreement is zero)"
)
KAPPA_WEIGHTS = {"nominal": None, "ordinal": "linear", "interval": "quadratic"}


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha of one set of items, unweighted and with sampling weights."""

    alpha: Estimate
    alpha_weighted: Estimate
    items: int
    pairable_items: int
    judgements: int

    def to_dict(self) -> dict:
        return {
            "alpha": self.alpha.to_dict(),
            "alpha_weighted": self.alpha_weighted.to_dict(),
            "items": self.items,
            "pairable_items": self.pairable_items,
            "judgements": self.judgements,
        }


def value_counts(codes: np.ndarray, n_values: int) -> np.ndarray:
    """Return the items x values matrix of label counts from annotators x items codes.

    `codes` contains label positions and NaN where an annotator did not label an item.
    """
    counts = np.zeros((codes.shape[1], n_values), dtype=int)
    annotators, items = np.nonzero(~np.isnan(codes))
    np.add.at(counts, (items, codes[annotators, items].astype(int)), 1)
    return counts


def package_alpha(counts: np.ndarray, *, domain: np.ndarray, level: str) -> float | None:
    """Return Krippendorff's alpha from the `krippendorff` package, or None when undefined."""
    if not (counts.sum(axis=1) >= 2).any():
        return None
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(
            value_counts=counts, value_domain=domain, level_of_measurement=level
        )
    return float(value) if np.isfinite(value) else None


def weighted_alpha(
    counts: np.ndarray, *, domain: np.ndarray, level: str, weights: np.ndarray | None = None
) -> float | None:
    """Return Krippendorff's alpha with each item's coincidences multiplied by its weight.

    With unit weights this is the textbook alpha: 1 - D_o / D_e, where the coincidence
    matrix o counts, for each item with m >= 2 labels, every ordered pair of labels from
    different annotators with weight 1 / (m - 1).

    Returns None when no item has two labels or every label is the same.
    """
    counts = np.asarray(counts, dtype=float)
    pairable = counts.sum(axis=1)
    keep = pairable >= 2
    if not keep.any():
        return None
    counts, pairable = counts[keep], pairable[keep]
    factor = (np.ones(len(counts)) if weights is None else np.asarray(weights, float)[keep]) / (
        pairable - 1
    )
    pairs = counts[:, :, None] * counts[:, None, :]
    pairs -= counts[:, :, None] * np.eye(counts.shape[1])[None, :, :]
    observed = np.einsum("u,uvw->vw", factor, pairs)
    marginals = observed.sum(axis=0)
    total = marginals.sum()
    expected = (np.outer(marginals, marginals) - np.diag(marginals)) / (total - 1)
    distance = difference_matrix(domain, level, marginals)
    disagreement = (expected * distance).sum()
    if not disagreement > 0:
        return None
    return float(1 - (observed * distance).sum() / disagreement)


def difference_matrix(domain: np.ndarray, level: str, marginals: np.ndarray) -> np.ndarray:
    """Return Krippendorff's squared difference between every two values of the domain.

    Nominal: 0 for equal values, 1 otherwise. Interval: the squared difference of the
    values. Ordinal: the squared count of pairable values from one rank to the other,
    less half of each end's count.
    """
    if level == "nominal":
        return 1.0 - np.eye(len(domain))
    if level == "interval":
        return (domain[:, None] - domain[None, :]) ** 2
    cumulative = np.concatenate([[0.0], np.cumsum(marginals)])
    low = np.minimum.outer(np.arange(len(domain)), np.arange(len(domain)))
    high = np.maximum.outer(np.arange(len(domain)), np.arange(len(domain)))
    between = cumulative[high + 1] - cumulative[low]
    return (between - (marginals[low] + marginals[high]) / 2) ** 2


def alpha_with_intervals(
    counts: np.ndarray,
    *,
    domain: np.ndarray,
    level: str,
    weights: np.ndarray,
    replicates: int,
    confidence: float,
    rng: np.random.Generator,
) -> AlphaResult:
    """Return alpha and weighted alpha with percentile bootstrap intervals over items."""
    pairable = int((counts.sum(axis=1) >= 2).sum())
    judgements = int(counts.sum())
    value = package_alpha(counts, domain=domain, level=level)
    weighted = weighted_alpha(counts, domain=domain, level=level, weights=weights)
    if value is None:
        reason = NO_PAIRS if pairable == 0 else NO_VARIATION
        undefined = Estimate.undefined(reason)
        return AlphaResult(undefined, undefined, len(counts), pairable, judgements)

    draws = np.full((replicates, 2), np.nan)
    for replicate in range(replicates):
        picks = rng.integers(0, len(counts), len(counts))
        sample = counts[picks]
        unweighted = package_alpha(sample, domain=domain, level=level)
        draws[replicate, 0] = np.nan if unweighted is None else unweighted
        reweighted = weighted_alpha(sample, domain=domain, level=level, weights=weights[picks])
        draws[replicate, 1] = np.nan if reweighted is None else reweighted
    return AlphaResult(
        _estimate(value, draws[:, 0], confidence),
        _estimate(weighted, draws[:, 1], confidence),
        len(counts),
        pairable,
        judgements,
    )


def kappa_with_intervals(
    first: np.ndarray,
    second: np.ndarray,
    *,
    n_labels: int,
    level: str,
    weights: np.ndarray,
    replicates: int,
    confidence: float,
    rng: np.random.Generator,
) -> tuple[Estimate, Estimate]:
    """Return Cohen's kappa of two label-position arrays, unweighted and with sampling
    weights, with percentile bootstrap intervals over items.

    Ordinal labels use linearly weighted kappa and interval labels quadratically weighted
    kappa, with the label positions as the order.
    """
    if len(first) < 2:
        reason = f"{len(first)} items have both labels; kappa needs at least 2"
        return Estimate.undefined(reason), Estimate.undefined(reason)
    penalty = KAPPA_WEIGHTS[level]
    labels = list(range(n_labels))
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = cohen_kappa_score(first, second, labels=labels, weights=penalty)
        weighted = cohen_kappa_score(
            first, second, labels=labels, weights=penalty, sample_weight=weights
        )
    if not np.isfinite(value):
        reason = (
            "the two raters gave one and the same label to every item, so chance agreement "
            "is 1 and kappa is undefined"
        )
        return Estimate.undefined(reason), Estimate.undefined(reason)

    cost = disagreement_weights(n_labels, penalty)
    draws = np.full((replicates, 2), np.nan)
    for replicate in range(replicates):
        picks = rng.integers(0, len(first), len(first))
        cells = first[picks] * n_labels + second[picks]
        for column, cell_weights in enumerate((None, weights[picks])):
            table = np.bincount(cells, weights=cell_weights, minlength=n_labels * n_labels)
            draws[replicate, column] = kappa_from_table(table.reshape(n_labels, n_labels), cost)
    return (
        _estimate(float(value), draws[:, 0], confidence),
        _estimate(float(weighted), draws[:, 1], confidence),
    )


def disagreement_weights(n_labels: int, penalty: str | None) -> np.ndarray:
    """Return scikit-learn's kappa weight matrix: 0/1, linear or quadratic distance."""
    positions = np.arange(n_labels)
    distance = np.abs(positions[:, None] - positions[None, :]).astype(float)
    if penalty is None:
        return (distance > 0).astype(float)
    return distance if penalty == "linear" else distance**2


def kappa_from_table(table: np.ndarray, cost: np.ndarray) -> float:
    """Return Cohen's kappa of a confusion table (rows: first rater), NaN when undefined."""
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chance = (cost * expected).sum()
    if not chance > 0:
        return np.nan
    return float(1 - (cost * table).sum() / chance)


def _estimate(value: float | None, draws: np.ndarray, confidence: float) -> Estimate:
    if value is None:
        return Estimate.undefined(NO_VARIATION)
    finite = np.isfinite(draws)
    if not finite.any():
        return Estimate(value, ci_reason="every bootstrap replicate is undefined")
    lower, upper = percentile_interval(draws[finite], level=confidence)
    share = float(1 - finite.mean())
    return Estimate(value, (float(lower), float(upper)), "bootstrap", undefined_share=share or None)
