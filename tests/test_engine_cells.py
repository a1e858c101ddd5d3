"""The counting engine numbers only occupied cells when the cross-product is large."""

import numpy as np

from equilens.engines import EncodedAttribute, count_groups, numpy_engine


def attributes(n, *, values=40, count=6, seed=0):
    rng = np.random.default_rng(seed)
    return [
        EncodedAttribute(f"a{k}", rng.integers(0, values, n), [f"v{i}" for i in range(values)])
        for k in range(count)
    ]


def test_sparse_cells_match_dense(monkeypatch):
    rng = np.random.default_rng(1)
    n = 2000
    encoded = attributes(n, values=5, count=3)
    y_true = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    score = rng.random(n)
    groupings = [("a0",), ("a1", "a2"), ("a2", "a0")]

    dense = count_groups(encoded, y_true, y_pred, score=score, groupings=groupings)
    monkeypatch.setattr(numpy_engine, "DENSE_CELL_LIMIT", 0)
    sparse = count_groups(encoded, y_true, y_pred, score=score, groupings=groupings)

    for grouping in groupings:
        assert sparse[grouping].labels == dense[grouping].labels
        assert (sparse[grouping].table == dense[grouping].table).all()
        assert np.allclose(sparse[grouping].score_sums, dense[grouping].score_sums)
        assert np.allclose(sparse[grouping].auc, dense[grouping].auc, equal_nan=True)


def test_many_attributes_do_not_allocate_cross_product():
    n = 500
    encoded = attributes(n) + attributes(n, seed=2)
    encoded = [EncodedAttribute(f"b{k}", a.codes, a.labels) for k, a in enumerate(encoded)]
    y = np.random.default_rng(3).integers(0, 2, n)
    counts = count_groups(encoded, y, y, groupings=[("b0", "b7", "b11")])
    assert counts[("b0", "b7", "b11")].n.sum() == n


def test_intersection_lists_only_occurring_groups():
    codes = np.array([0, 0, 1, 1])
    first = EncodedAttribute("x", codes, ["p", "q"])
    second = EncodedAttribute("y", codes, ["r", "s"])
    y = np.array([1, 0, 1, 0])
    counts = count_groups([first, second], y, y, groupings=[("x", "y")])
    assert counts[("x", "y")].labels == [("p", "r"), ("q", "s")]
