"""Worst-subgroup search, and its agreement with AIF360's MDSS bias scan."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from tabular_cases import planted_subgroup_data

from equilens.errors import DataError
from equilens.stats.significance import adjust_p_values, compare_proportions
from equilens.subgroups import find_subgroups


@pytest.fixture(scope="module")
def planted():
    frame, decisions = planted_subgroup_data()
    output = find_subgroups(
        frame,
        decisions,
        decisions,
        {"race": frame["race"].to_numpy()},
        features=["region", "income"],
        top_k=5,
    )
    return frame, decisions, output


def test_planted_subgroup_ranks_first(planted):
    _, _, output = planted
    top = output["subgroups"][0]
    assert sorted(top["conditions"]) == ["race = b", "region = s"]
    assert top["gap"]["value"] < -0.3
    assert top["p_adjusted"] < 0.001


def test_agrees_with_aif360_mdss(planted):
    pytest.importorskip("aif360")
    from aif360.detectors.mdss_detector import bias_scan

    frame, decisions, output = planted
    scanned = frame[["race", "region"]].assign(income=pd.qcut(frame["income"], 4).astype(str))
    subset, _ = bias_scan(
        scanned,
        pd.Series(decisions),
        pd.Series(np.full(len(decisions), decisions.mean())),
        overpredicted=True,
        scoring="Bernoulli",
        penalty=1.0,
        num_iters=10,
    )
    # MDSS may keep a column with every value allowed, which constrains nothing. It may
    # also restrict a noise column (income) to some of its values when that raises the
    # penalised score, so only the planted columns must match exactly.
    constraining = {
        column: sorted(values)
        for column, values in subset.items()
        if set(values) != set(scanned[column].unique())
    }
    assert constraining["race"] == ["b"]
    assert constraining["region"] == ["s"]
    assert sorted(output["subgroups"][0]["conditions"]) == ["race = b", "region = s"]

    mdss_rows = np.ones(len(frame), dtype=bool)
    for column, values in subset.items():
        mdss_rows &= scanned[column].isin(values).to_numpy()
    ours = ((frame["race"] == "b") & (frame["region"] == "s")).to_numpy()
    overlap = (mdss_rows & ours).sum() / (mdss_rows | ours).sum()
    assert overlap > 0.6


def test_every_examined_subgroup_adjusted(planted):
    frame, decisions, output = planted
    assert output["tested"] == output["examined"]
    top = output["subgroups"][0]
    mask = (frame["race"] == "b") & (frame["region"] == "s")
    raw = compare_proportions(
        int(decisions[mask].sum()), int(mask.sum()), int(decisions[~mask].sum()), int((~mask).sum())
    )
    assert top["p_value"] == pytest.approx(raw.p_value)
    assert top["p_adjusted"] >= top["p_value"]


def test_adjustment_is_benjamini_hochberg():
    frame, decisions = planted_subgroup_data(800, seed=2)
    output = find_subgroups(
        frame,
        decisions,
        decisions,
        {"race": frame["race"].to_numpy()},
        features=["region"],
        max_depth=1,
        min_support=0.01,
        top_k=100,
    )
    # With depth one and no features searched, the subgroups are the race groups alone.
    assert output["examined"] == 3
    worse = output["subgroups"]
    p_values = []
    for race in ["a", "b", "c"]:
        mask = frame["race"].to_numpy() == race
        result = compare_proportions(
            int(decisions[mask].sum()),
            int(mask.sum()),
            int(decisions[~mask].sum()),
            int((~mask).sum()),
        )
        p_values.append(result.p_value)
    adjusted_values = adjust_p_values(p_values, method="benjamini-hochberg")
    adjusted = dict(zip(["a", "b", "c"], adjusted_values, strict=True))
    for entry in worse:
        race = entry["conditions"][0].split(" = ")[1]
        assert entry["p_adjusted"] == pytest.approx(adjusted[race])


def test_min_support_respected(planted):
    frame, _, output = planted
    minimum = math.ceil(output["min_support"] * len(frame))
    assert all(entry["n"] >= minimum for entry in output["subgroups"])


def test_every_subgroup_has_protected_condition(planted):
    _, _, output = planted
    assert all(entry["protected_attributes"] for entry in output["subgroups"])


def test_feature_only_subgroups_allowed_when_not_required():
    frame, decisions = planted_subgroup_data()
    output = find_subgroups(
        frame,
        decisions,
        decisions,
        {"race": frame["race"].to_numpy()},
        features=["region"],
        max_depth=1,
        require_protected=False,
        top_k=20,
    )
    assert any(not entry["protected_attributes"] for entry in output["subgroups"])


def test_selection_adjusted_interval_is_wider(planted):
    _, _, output = planted
    top = output["subgroups"][0]
    assert output["fcr_level"] > 0.95
    assert top["gap_ci_fcr"][0] <= top["gap"]["ci"][0]
    assert top["gap_ci_fcr"][1] >= top["gap"]["ci"][1]


def test_error_rate_metric_ranks_higher_as_worse():
    rng = np.random.default_rng(4)
    n = 2000
    frame = pd.DataFrame({"sex": rng.choice(["f", "m"], size=n)})
    y_true = np.ones(n, dtype=int)
    y_pred = np.where(frame["sex"] == "f", rng.random(n) < 0.6, rng.random(n) < 0.9).astype(int)
    output = find_subgroups(
        frame, y_true, y_pred, {"sex": frame["sex"]}, metric="false_negative_rate"
    )
    assert output["worse"] == "higher"
    assert output["subgroups"][0]["conditions"] == ["sex = f"]
    assert output["subgroups"][0]["gap"]["value"] > 0


def test_numeric_bins_described():
    frame, decisions = planted_subgroup_data(1000, seed=3)
    output = find_subgroups(
        frame,
        decisions,
        decisions,
        {"race": frame["race"].to_numpy()},
        features=["income"],
        top_k=50,
    )
    labels = {c for entry in output["subgroups"] for c in entry["conditions"]}
    assert any("income" in label and ("<" in label or "≥" in label) for label in labels)
    json.dumps(output, allow_nan=False)


def test_non_proportion_metric_raises():
    frame, decisions = planted_subgroup_data(100)
    with pytest.raises(DataError, match="'auc'"):
        find_subgroups(frame, decisions, decisions, {"race": frame["race"]}, metric="auc")


def test_length_mismatch_raises():
    frame, decisions = planted_subgroup_data(100)
    with pytest.raises(DataError, match="one outcome and one decision per row"):
        find_subgroups(frame, decisions[:50], decisions, {"race": frame["race"]})
