"""Krippendorff's alpha and Cohen's kappa: hand-computed values and the reference packages."""

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from equilens.review._alpha import (
    NO_PAIRS,
    NO_VARIATION,
    alpha_with_intervals,
    disagreement_weights,
    kappa_from_table,
    kappa_with_intervals,
    package_alpha,
    value_counts,
    weighted_alpha,
)

NAN = np.nan

# The worked example in the krippendorff package's documentation, taken from Krippendorff's
# "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units, values 1 to 5, with
# missing values. The documentation gives nominal alpha 0.743 and ordinal alpha 0.815, and
# the package computes interval alpha 0.849.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
)
DOMAIN = np.arange(1.0, 6.0)


def _counts(data: np.ndarray) -> np.ndarray:
    return value_counts(data - 1, 5)


def test_alpha_hand_computed_two_coders():
    # Coder A labels four units 0, 0, 1, 1 and coder B 0, 1, 1, 1. Each unit has two
    # labels, so each ordered pair counts 1 / (2 - 1) = 1 in the coincidence matrix:
    # unit 1 adds 2 to o00, unit 2 adds 1 to o01 and o10, units 3 and 4 add 2 each to o11.
    # o = [[2, 1], [1, 4]], n0 = 3, n1 = 5, n = 8.
    # D_o = (o01 + o10) / n = 2 / 8 and D_e = 2 n0 n1 / (n (n - 1)) = 30 / 56,
    # so alpha = 1 - (2 / 8) / (30 / 56) = 1 - 14 / 30 = 8 / 15.
    codes = np.array([[0, 0, 1, 1], [0, 1, 1, 1]], dtype=float)
    counts = value_counts(codes, 2)
    domain = np.arange(2.0)

    assert weighted_alpha(counts, domain=domain, level="nominal") == pytest.approx(8 / 15)
    assert package_alpha(counts, domain=domain, level="nominal") == pytest.approx(8 / 15)


@pytest.mark.parametrize(
    ("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_alpha_krippendorff_2011_example(level, expected):
    counts = _counts(KRIPPENDORFF_2011)

    assert package_alpha(counts, domain=DOMAIN, level=level) == pytest.approx(expected, abs=5e-4)
    assert weighted_alpha(counts, domain=DOMAIN, level=level) == pytest.approx(expected, abs=5e-4)


@st.composite
def reliability_data(draw):
    annotators = draw(st.integers(2, 5))
    items = draw(st.integers(2, 12))
    values = draw(st.integers(2, 4))
    cells = draw(
        st.lists(
            st.one_of(st.none(), st.integers(0, values - 1)),
            min_size=annotators * items,
            max_size=annotators * items,
        )
    )
    data = np.array([NAN if cell is None else cell for cell in cells], dtype=float)
    return data.reshape(annotators, items), values


@settings(max_examples=150, deadline=None)
@given(data=reliability_data(), level=st.sampled_from(["nominal", "ordinal", "interval"]))
def test_weighted_alpha_unit_weights_equal_package(data, level):
    codes, values = data
    counts = value_counts(codes, values)
    domain = np.arange(float(values))
    pairable = counts[counts.sum(axis=1) >= 2]
    if (pairable.sum(axis=0) > 0).sum() < 2:
        # No item has two labels, or all labels of such items are the same.
        assert weighted_alpha(counts, domain=domain, level=level) is None
        return
    expected = krippendorff.alpha(
        reliability_data=codes, value_domain=domain, level_of_measurement=level
    )

    assert weighted_alpha(counts, domain=domain, level=level) == pytest.approx(expected)
    assert package_alpha(counts, domain=domain, level=level) == pytest.approx(expected)


def test_weighted_alpha_zero_weight_drops_items():
    counts = _counts(KRIPPENDORFF_2011)
    weights = np.array([1.0] * 6 + [0.0] * 6)

    reweighted = weighted_alpha(counts, domain=DOMAIN, level="nominal", weights=weights)
    subset = package_alpha(counts[:6], domain=DOMAIN, level="nominal")

    assert reweighted == pytest.approx(subset)


def test_alpha_undefined_without_pairs():
    codes = np.array([[0, NAN, 1], [NAN, 1, NAN]])
    result = alpha_with_intervals(
        value_counts(codes, 2),
        domain=np.arange(2.0),
        level="nominal",
        weights=np.ones(3),
        replicates=50,
        confidence=0.95,
        rng=np.random.default_rng(0),
    )

    assert result.alpha.value is None
    assert result.alpha.reason == NO_PAIRS
    assert result.pairable_items == 0


def test_alpha_undefined_without_variation():
    codes = np.array([[1, 1, 1], [1, 1, 1]], dtype=float)
    result = alpha_with_intervals(
        value_counts(codes, 2),
        domain=np.arange(2.0),
        level="nominal",
        weights=np.ones(3),
        replicates=50,
        confidence=0.95,
        rng=np.random.default_rng(0),
    )

    assert result.alpha.value is None
    assert result.alpha.reason == NO_VARIATION


def test_alpha_interval_seeded():
    counts = _counts(KRIPPENDORFF_2011)

    def run(seed):
        return alpha_with_intervals(
            counts,
            domain=DOMAIN,
            level="ordinal",
            weights=np.ones(len(counts)),
            replicates=300,
            confidence=0.9,
            rng=np.random.default_rng(seed),
        )

    first, again = run(4), run(4)
    lower, upper = first.alpha.ci

    assert lower <= first.alpha.value <= upper
    assert first.alpha.ci == again.alpha.ci
    assert first.alpha.ci_method == "bootstrap"
    assert first.judgements == int((~np.isnan(KRIPPENDORFF_2011)).sum())


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=3, max_size=40),
    weights=st.lists(st.floats(0.1, 5.0), min_size=40, max_size=40),
    penalty=st.sampled_from([None, "linear", "quadratic"]),
)
def test_kappa_from_table_equals_sklearn(pairs, weights, penalty):
    first = np.array([pair[0] for pair in pairs])
    second = np.array([pair[1] for pair in pairs])
    sample_weight = np.array(weights[: len(pairs)])
    table = np.bincount(first * 3 + second, weights=sample_weight, minlength=9).reshape(3, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = cohen_kappa_score(
            first, second, labels=[0, 1, 2], weights=penalty, sample_weight=sample_weight
        )

    result = kappa_from_table(table, disagreement_weights(3, penalty))

    if np.isnan(expected):
        assert np.isnan(result)
    else:
        assert result == pytest.approx(expected)


def test_kappa_undefined_constant_raters():
    same = np.zeros(10, dtype=int)
    kappa, weighted = kappa_with_intervals(
        same,
        same,
        n_labels=2,
        level="nominal",
        weights=np.ones(10),
        replicates=20,
        confidence=0.95,
        rng=np.random.default_rng(0),
    )

    assert kappa.value is None
    assert "chance agreement is 1" in kappa.reason
    assert weighted.value is None


def test_kappa_point_matches_sklearn():
    rng = np.random.default_rng(3)
    first = rng.integers(0, 3, 60)
    second = np.where(rng.random(60) < 0.7, first, rng.integers(0, 3, 60))
    weights = rng.uniform(1, 4, 60)

    kappa, weighted = kappa_with_intervals(
        first,
        second,
        n_labels=3,
        level="ordinal",
        weights=weights,
        replicates=200,
        confidence=0.95,
        rng=np.random.default_rng(0),
    )

    assert kappa.value == pytest.approx(cohen_kappa_score(first, second, weights="linear"))
    assert weighted.value == pytest.approx(
        cohen_kappa_score(first, second, weights="linear", sample_weight=weights)
    )
    assert kappa.ci[0] <= kappa.value <= kappa.ci[1]
