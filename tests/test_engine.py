"""The counting engine against pandas and scikit-learn, and the bootstrap's seeding."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from equilens.audit import run_audit
from equilens.engines import EncodedAttribute, count_groups
from equilens.engines.numpy_engine import grouped_auc
from equilens.metrics import METRICS
from equilens.metrics.table import estimate_grouping
from equilens.plan import parse_plan
from equilens.stats.bootstrap import binned_auc, grouping_rng, replicate_metrics
from equilens.stats.intervals import percentile_interval

NAMES = ("race", "sex", "age")
GROUPINGS = [
    combination for size in (1, 2, 3) for combination in itertools.combinations(NAMES, size)
]
ENGINE_SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def encoded_rows(draw) -> tuple[list[EncodedAttribute], pd.DataFrame]:
    """Draw three coded attributes (some combinations empty), labels and tied scores."""
    n_rows = draw(st.integers(1, 80))
    sizes = [draw(st.integers(1, 4)) for _ in NAMES]

    def column(values):
        return np.array(draw(st.lists(values, min_size=n_rows, max_size=n_rows)))

    frame = pd.DataFrame(
        {name: column(st.integers(0, size - 1)) for name, size in zip(NAMES, sizes, strict=True)}
    )
    frame["y_true"] = column(st.integers(0, 1))
    frame["y_pred"] = column(st.integers(0, 1))
    frame["score"] = column(st.one_of(st.integers(0, 5).map(lambda k: k / 5), st.floats(0, 1)))
    attributes = [
        EncodedAttribute(
            name, frame[name].to_numpy(dtype=np.int64), [f"{name}{k}" for k in range(size)]
        )
        for name, size in zip(NAMES, sizes, strict=True)
    ]
    return attributes, frame


def count(attributes, frame, *, with_score: bool):
    return count_groups(
        attributes,
        frame["y_true"].to_numpy(),
        frame["y_pred"].to_numpy(),
        score=frame["score"].to_numpy() if with_score else None,
        groupings=GROUPINGS,
    )


def label_of(grouping, key) -> tuple[str, ...]:
    key = key if isinstance(key, tuple) else (key,)
    return tuple(f"{name}{code}" for name, code in zip(grouping, key, strict=True))


@ENGINE_SETTINGS
@given(data=encoded_rows(), with_score=st.booleans())
def test_count_groups_equals_pandas_crosstab(data, with_score):
    attributes, frame = data
    counts = count(attributes, frame, with_score=with_score)

    for grouping in GROUPINGS:
        result = counts[grouping]
        crosstab = frame.groupby([*grouping, "y_true", "y_pred"]).size()
        expected = {}
        for key, size in crosstab.items():
            *codes, actual, decision = key
            cells = expected.setdefault(label_of(grouping, tuple(codes)), np.zeros((2, 2), int))
            cells[actual, decision] = size

        assert result.labels == sorted(
            expected, key=lambda label: [int(part[-1]) for part in label]
        )
        for g, label in enumerate(result.labels):
            assert np.array_equal(result.confusion[g], expected[label]), (grouping, label)


@ENGINE_SETTINGS
@given(data=encoded_rows())
def test_count_groups_score_sums_equal_pandas(data):
    attributes, frame = data
    counts = count(attributes, frame, with_score=True)
    frame = frame.assign(squared=frame["score"] ** 2)

    for grouping in GROUPINGS:
        result = counts[grouping]
        sums = frame.groupby(list(grouping))[["score", "squared"]].sum()
        for g, label in enumerate(result.labels):
            key = tuple(int(part[-1]) for part in label)
            row = sums.loc[key if len(key) > 1 else key[0]]
            assert math.isclose(result.score_sums[g].sum(), row["score"], abs_tol=1e-9), label
            assert math.isclose(result.score_sumsq[g], row["squared"], abs_tol=1e-9), label


# Fewer examples: scikit-learn's AUC is called once per group of every grouping.
@settings(max_examples=20, deadline=None)
@given(data=encoded_rows())
def test_count_groups_auc_equals_sklearn(data):
    attributes, frame = data
    counts = count(attributes, frame, with_score=True)

    for grouping in GROUPINGS:
        result = counts[grouping]
        for key, rows in frame.groupby(list(grouping)):
            label = label_of(grouping, key)
            g = result.index(label)
            if rows["y_true"].nunique() < 2:
                assert math.isnan(result.auc[g]), (grouping, label)
            else:
                expected = roc_auc_score(rows["y_true"], rows["score"])
                assert math.isclose(result.auc[g], expected, rel_tol=1e-12), (grouping, label)


@ENGINE_SETTINGS
@given(
    groups=st.lists(st.integers(0, 5), min_size=1, max_size=100).map(np.array),
    data=st.data(),
)
def test_grouped_auc_equals_sklearn_per_group(groups, data):
    n_rows = len(groups)
    y_true = np.array(data.draw(st.lists(st.integers(0, 1), min_size=n_rows, max_size=n_rows)))
    score = np.array(
        data.draw(
            st.lists(
                st.one_of(st.integers(0, 3).map(float), st.floats(-1e6, 1e6)),
                min_size=n_rows,
                max_size=n_rows,
            )
        )
    )
    auc = grouped_auc(groups, y_true, score, n_groups=6)

    for group in range(6):
        member = groups == group
        if len(np.unique(y_true[member])) < 2:
            assert math.isnan(auc[group]), group
        else:
            expected = roc_auc_score(y_true[member], score[member])
            assert math.isclose(auc[group], expected, rel_tol=1e-12), group


def _counts_for_bootstrap():
    rng = np.random.default_rng(11)
    attributes = [EncodedAttribute("race", rng.integers(0, 3, 500), ["a", "b", "c"])]
    y_true, y_pred = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    return count_groups(attributes, y_true, y_pred, score=rng.random(500), groupings=[("race",)])[
        ("race",)
    ]


METRIC_NAMES = ["selection_rate", "true_positive_rate", "f1_score", "auc", "mean_score"]


def test_bootstrap_same_seed_same_replicates():
    counts = _counts_for_bootstrap()
    first = replicate_metrics(counts, METRIC_NAMES, replicates=200, rng=grouping_rng(7, ("race",)))
    second = replicate_metrics(counts, METRIC_NAMES, replicates=200, rng=grouping_rng(7, ("race",)))

    for name in METRIC_NAMES:
        assert np.array_equal(first[name], second[name], equal_nan=True), name


def test_bootstrap_other_seed_other_replicates():
    counts = _counts_for_bootstrap()
    first = replicate_metrics(counts, METRIC_NAMES, replicates=200, rng=grouping_rng(7, ("race",)))
    second = replicate_metrics(counts, METRIC_NAMES, replicates=200, rng=grouping_rng(8, ("race",)))

    for name in METRIC_NAMES:
        assert not np.array_equal(first[name], second[name], equal_nan=True), name


def test_estimate_grouping_same_seed_same_intervals():
    counts = _counts_for_bootstrap()
    first = estimate_grouping(counts, METRIC_NAMES, level=0.95, replicates=200, seed=3)
    second = estimate_grouping(counts, METRIC_NAMES, level=0.95, replicates=200, seed=3)

    for name in METRIC_NAMES:
        assert first.estimates[name] == second.estimates[name], name


def _loan_frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        {
            "race": rng.choice(["white", "black", "asian"], 400),
            "sex": rng.choice(["male", "female"], 400),
            "y": rng.integers(0, 2, 400),
            "s": rng.random(400),
        }
    )


def _audit(frame, *, seed: int, protected: list[str]) -> dict:
    plan = parse_plan(
        {
            "target": "y",
            "prediction": {"score_column": "s", "threshold": 0.5},
            "protected": [{"name": name} for name in protected],
            "seed": seed,
            "bootstrap_replicates": 200,
        }
    )
    findings = run_audit(plan, frame).to_dict()
    del findings["audit"]["created"]
    return findings


def test_audit_same_seed_same_findings():
    frame = _loan_frame()

    assert _audit(frame, seed=4, protected=["race", "sex"]) == _audit(
        frame, seed=4, protected=["race", "sex"]
    )


def test_audit_other_seed_other_intervals():
    frame = _loan_frame()
    first = _audit(frame, seed=4, protected=["race", "sex"])
    second = _audit(frame, seed=5, protected=["race", "sex"])

    assert first["groups"] != second["groups"]


def test_audit_intervals_unchanged_by_added_attribute():
    frame = _loan_frame()
    race_only = _audit(frame, seed=4, protected=["race"])
    with_sex = _audit(frame, seed=4, protected=["race", "sex"])
    race_groups = [entry for entry in with_sex["groups"] if entry["attribute"] == "race"]

    assert race_only["groups"] == race_groups


def test_replicate_metrics_per_group_draws():
    counts = _counts_for_bootstrap()
    names = ["selection_rate", "true_positive_rate", "balanced_accuracy", "auc"]
    replicates = replicate_metrics(counts, names, replicates=200, rng=grouping_rng(7, ("race",)))
    rng = grouping_rng(7, ("race",))

    # One multinomial draw per group, in group order, from the same generator.
    for g, table in enumerate(counts.table):
        n = int(table.sum())
        draws = rng.multinomial(n, table.ravel() / n, size=200).reshape(200, *table.shape)
        confusion = draws.sum(axis=-1)
        tn, fp, fn, tp = (confusion[:, i, j] for i, j in [(0, 0), (0, 1), (1, 0), (1, 1)])
        for name in names[:3]:
            expected = METRICS[name](tn, fp, fn, tp)
            assert np.array_equal(replicates[name][:, g], expected, equal_nan=True), (g, name)
        assert np.array_equal(replicates["auc"][:, g], binned_auc(draws), equal_nan=True), g
        assert np.array_equal(replicates["base_rate"][:, g], (fn + tp) / n), g


def test_bootstrap_ci_is_replicate_percentile():
    rng = np.random.default_rng(12)
    # Groups from 3 to 300 rows, so that some replicates are undefined.
    codes = np.repeat(np.arange(5), [3, 8, 40, 120, 300])
    attributes = [EncodedAttribute("race", codes, ["a", "b", "c", "d", "e"])]
    y_true, y_pred = rng.integers(0, 2, len(codes)), rng.integers(0, 2, len(codes))
    counts = count_groups(attributes, y_true, y_pred, groupings=[("race",)])[("race",)]
    names = ["selection_rate", "true_positive_rate", "positive_predictive_value", "f1_score"]
    table = estimate_grouping(counts, names, level=0.9, replicates=300, seed=1)

    checked = 0
    for name in names:
        for g, estimate in enumerate(table.estimates[name]):
            if estimate.ci_method != "bootstrap":
                continue
            lower, upper = percentile_interval(table.replicates[name][:, g], level=0.9)
            assert estimate.ci == (float(lower), float(upper)), (name, g)
            checked += 1
    assert checked >= 15
