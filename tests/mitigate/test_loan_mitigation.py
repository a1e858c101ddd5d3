"""The loan demonstration's mitigation comparison: files, baseline and recommendation."""

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from equilens.demo import load_loanapp, train_loan_model
from equilens.mitigate import run_loan_mitigation


@pytest.fixture(scope="module")
def loan(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "loan" / "mitigation"
    steps = []
    result = run_loan_mitigation(out, progress=steps.append)
    document = json.loads((out / "mitigation.json").read_text(encoding="utf-8"))
    return result, document, out, steps


def test_loan_mitigation_writes_files(loan):
    _, document, out, _ = loan
    names = {"mitigation.json", "mitigation.html", "summary.md"}
    if document["recommendation"]["name"] is not None:
        names |= {"model.skops", "model_card.md"}
    assert names <= {path.name for path in out.iterdir()}


def test_loan_baseline_is_demo_model(loan):
    result, _, _, _ = loan
    # One thread per pool, as in run_loan_mitigation, because the fit is small.
    with threadpool_limits(limits=1):
        predictor, test = train_loan_model(load_loanapp())
    baseline = result.candidate("baseline").model
    np.testing.assert_array_equal(baseline.predict(test), predictor.predict(test).astype(int))


def test_loan_uses_demo_split(loan):
    _, document, _, _ = loan
    assert document["run"]["n_train"] == 1392
    assert document["run"]["n_test"] == 597
    assert document["run"]["sensitive_features"] == ["race"]


def test_loan_every_candidate_evaluated(loan):
    _, document, _, _ = loan
    assert len(document["candidates"]) == 13
    failed = [c["name"] for c in document["candidates"] if c["status"] != "ok"]
    assert failed == []


def test_loan_baseline_fails_four_fifths(loan):
    _, document, _, _ = loan
    baseline = document["candidates"][0]
    assert baseline["fairness"]["four_fifths_race"]["verdict"] == "fail"
    assert not baseline["meets_all"]


def test_loan_recommendation_states_trade_off(loan):
    _, document, _, _ = loan
    recommendation = document["recommendation"]
    if recommendation["name"] is None:
        assert recommendation["blocking"]
    else:
        assert "of the baseline's balanced accuracy" in recommendation["reason"]
        assert "four_fifths_race" in recommendation["reason"]


def test_loan_reports_progress(loan):
    _, _, _, steps = loan
    assert steps[0] == "Loading the mortgage-application data"
    assert "Writing the mitigation report" in steps
