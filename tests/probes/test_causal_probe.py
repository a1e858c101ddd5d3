"""Causal counterfactual fairness on a linear SCM whose counterfactual gap is known."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tabular_cases import (
    SCM_EDGES,
    SCM_SCORE_SD,
    SCM_TRUE_GAP,
    THRESHOLD,
    linear_scm,
    scm_model,
    scm_score,
)

from equilens.errors import DataError
from equilens.models.tabular import CallablePredictor
from equilens.probes.causal import causal_counterfactuals

pytest.importorskip("dowhy")

LABELS = {0: "a0", 1: "a1"}


@pytest.fixture(scope="module")
def output():
    data = linear_scm()
    labels = data["a"].map(LABELS).to_numpy()
    return causal_counterfactuals(
        data,
        scm_model(),
        ["a"],
        edges=SCM_EDGES,
        labels={"a": labels},
        mechanisms="linear",
        refits=40,
    )


def _result(output, group):
    (match,) = [r for r in output["results"] if r["group"] == group]
    return match


def test_gap_matches_closed_form(output):
    gap = _result(output, "a0")["gap"]
    assert gap["value"] == pytest.approx(SCM_TRUE_GAP, abs=0.04)
    assert gap["ci"][0] <= SCM_TRUE_GAP <= gap["ci"][1]
    assert gap["ci_method"] == "refit_bootstrap"


def test_gap_is_symmetric_for_other_group(output):
    gap = _result(output, "a1")["gap"]
    assert gap["ci"][0] <= -SCM_TRUE_GAP <= gap["ci"][1]


def test_flip_rate_matches_true_counterfactuals(output):
    # With additive noise every row with a = 0 gains exactly 0.2 under do(a = 1), so its
    # decision flips exactly when its score lies in [threshold - 0.2, threshold).
    data = linear_scm()
    score = scm_score(data)[data["a"] == 0]
    true_rate = np.mean((score < THRESHOLD) & (score >= THRESHOLD - SCM_TRUE_GAP))

    rate = _result(output, "a0")["flip_rate"]
    assert rate["value"] == pytest.approx(true_rate, abs=0.03)
    assert rate["ci"][0] <= true_rate <= rate["ci"][1]


def test_flip_rate_near_population_value(output):
    # The population share of scores in that band, scores being N(0.3, sd) when a = 0.
    expected = stats.norm.cdf((THRESHOLD - 0.3) / SCM_SCORE_SD) - stats.norm.cdf(
        (THRESHOLD - 0.3 - SCM_TRUE_GAP) / SCM_SCORE_SD
    )
    rate = _result(output, "a0")["flip_rate"]
    assert rate["value"] == pytest.approx(expected, abs=0.06)


def test_mechanisms_and_assumption_reported(output):
    assert "LinearRegression" in output["mechanisms"]["x1"]
    assert "observed values" in output["assumption"]
    assert output["refits"] == 40
    json.dumps(output, allow_nan=False)


def test_unknown_graph_column_raises():
    data = linear_scm(200)
    with pytest.raises(DataError, match="'x3'"):
        causal_counterfactuals(data, scm_model(), ["a"], edges=[("a", "x3")], refits=20)


def test_protected_not_in_graph_raises():
    data = linear_scm(200)
    with pytest.raises(DataError, match="not nodes of the causal graph"):
        causal_counterfactuals(data, scm_model(), ["z"], edges=SCM_EDGES, refits=20)


def test_text_child_raises():
    data = linear_scm(200)
    data["x1"] = np.where(data["x1"] > 0, "high", "low")
    with pytest.raises(DataError, match="'x1' has causes in the graph but is not numeric"):
        causal_counterfactuals(data, scm_model(), ["a"], edges=SCM_EDGES, refits=20)


def test_single_group_raises():
    data = linear_scm(200)
    data["a"] = 0
    with pytest.raises(DataError, match="single group"):
        causal_counterfactuals(data, scm_model(), ["a"], edges=SCM_EDGES, refits=20)


def test_model_failure_reports_row_count():
    data = linear_scm(300)

    def score(frame: pd.DataFrame) -> np.ndarray:
        if len(frame) < len(data):
            raise RuntimeError("model service rejected the batch")
        return np.zeros(len(frame))

    model = CallablePredictor(lambda frame: (score(frame) > 0).astype(int), score=score)
    output = causal_counterfactuals(
        data, model, ["a"], edges=SCM_EDGES, mechanisms="linear", refits=20
    )

    assert output["results"] == []
    rows = sorted(failure["rows"] for failure in output["failures"])
    assert rows == sorted(np.bincount(data["a"]).tolist())
    assert "rejected the batch" in output["failures"][0]["error"]


def test_rows_with_missing_graph_values_dropped():
    data = linear_scm(300)
    data.loc[:4, "x2"] = np.nan
    output = causal_counterfactuals(
        data, scm_model(), ["a"], edges=SCM_EDGES, mechanisms="linear", refits=20
    )
    assert output["dropped_rows"] == 5
    assert output["rows"] == 295
