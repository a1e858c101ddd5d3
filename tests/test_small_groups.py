"""Tiny groups: intervals contain their estimates and bootstrap tests do not fake significance."""

import numpy as np

from equilens import audit_arrays


def tiny_group_audit():
    rng = np.random.default_rng(5)
    n = 400
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    group = np.array(["large"] * n, dtype=object)
    # Two rows that are both true positives: F1 is 1.0 in every bootstrap replicate.
    y_true[:2], y_pred[:2], group[:2] = 1, 1, "tiny"
    return audit_arrays(
        y_true,
        y_pred,
        sensitive_features={"group": group},
        references={"group": "large"},
        bootstrap_replicates=500,
    ).to_dict()


def contains(entry):
    lower, upper = entry["ci"]
    return lower <= entry["value"] <= upper


def test_dirichlet_interval_contains_estimate():
    findings = tiny_group_audit()
    tiny = next(entry for entry in findings["groups"] if entry["group"] == "tiny")
    f1 = tiny["metrics"]["f1_score"]
    assert f1["ci_method"] == "dirichlet"
    assert contains(f1)


def test_disparity_intervals_contain_estimates():
    findings = tiny_group_audit()
    for entry in findings["disparities"]:
        for comparison in ("difference", "ratio"):
            if entry[comparison]["value"] is not None and entry[comparison]["ci"]:
                assert contains(entry[comparison]), (entry["metric"], comparison)


def test_no_bootstrap_test_for_degenerate_group():
    findings = tiny_group_audit()
    f1 = next(entry for entry in findings["disparities"] if entry["metric"] == "f1_score")
    assert f1["p_value"] is None
    assert "too small" in f1["test_reason"]


def test_aggregates_list_small_groups():
    findings = tiny_group_audit()
    for entry in findings["aggregates"] + findings["summaries"]:
        assert entry["small_groups"] == [["tiny"]]
