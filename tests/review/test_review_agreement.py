"""Importing reviewers' labels: agreement, kappa, label bias, findings and adjudication."""

import json
import shutil

import krippendorff
import numpy as np
import pandas as pd
import pytest
from review_cases import simulate_labels

from equilens.errors import DataError
from equilens.review import (
    LabelScale,
    assess_review,
    draw_sample,
    export_review,
    import_review,
    load_run,
    read_annotations,
)
from equilens.review._agreement import ratings_matrix

READERS = {
    "us1": {"annotator_locale": "en-US"},
    "us2": {"annotator_locale": "en-US"},
    "us3": {"annotator_locale": "en-US"},
    "fi1": {"annotator_locale": "fi-FI"},
    "fi2": {"annotator_locale": "fi-FI"},
    "fi3": {"annotator_locale": "fi-FI"},
}


@pytest.fixture(scope="module")
def reviewed(text_run_dir, tmp_path_factory):
    """A copied text run with a sample of 80 items and labels from six readers, where the
    Finnish readers turn 40% of their 'escalate' labels into 'no_escalate'."""
    tmp_path = tmp_path_factory.mktemp("reviewed")
    run_dir = tmp_path / "run"
    shutil.copytree(text_run_dir, run_dir)
    sample = export_review(run_dir, size=80, min_per_stratum=3, seed=3)
    labels = simulate_labels(sample.items, READERS, accuracy=0.92, flip={"fi-FI": 0.4}, seed=1)
    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False)
    result = import_review(path, run_dir, replicates=200, seed=0)
    return run_dir, sample, labels, result


def test_review_json_contains_alpha(reviewed):
    run_dir, _, labels, result = reviewed
    review = json.loads((run_dir / "review.json").read_text(encoding="utf-8"))
    alpha = review["agreement"]["alpha"]

    assert review["schema"] == "equilens.review/1"
    assert alpha["value"] == pytest.approx(result.alpha)
    assert alpha["ci"][0] <= alpha["value"] <= alpha["ci"][1]
    assert review["agreement"]["alpha_weighted"]["value"] is not None
    assert len(review["items"]) == labels["item_id"].nunique()


def test_alpha_equals_package(reviewed):
    _, sample, _, result = reviewed
    codes, _ = ratings_matrix(result.annotations, result.items["item_id"].tolist(), result.scale)
    expected = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")

    assert result.alpha == pytest.approx(expected)


def test_alpha_breakdowns_by_group(reviewed):
    _, _, _, result = reviewed
    agreement = result.agreement

    assert [entry["group"] for entry in agreement["by_item_group"]] == ["en-US", "fi-FI"]
    groups = {(e["attribute"], e["group"]): e for e in agreement["by_annotator_group"]}
    assert set(groups) == {("annotator_locale", "en-US"), ("annotator_locale", "fi-FI")}
    assert groups[("annotator_locale", "en-US")]["annotators"] == 3
    for entry in agreement["by_annotator_group"]:
        assert entry["alpha"]["ci"] is not None


def test_kappa_per_run_and_group(reviewed):
    _, _, _, result = reviewed
    model = result.agreement["model_vs_majority"]
    scopes = {(row["run"], row["group"]) for row in model}

    assert scopes == {
        ("vader-text", "all"),
        ("vader-text", "en-US"),
        ("vader-gloss", "all"),
        ("vader-gloss", "fi-FI"),
    }
    for row in model:
        assert row["compared"] == "labels"
        assert -1 <= row["kappa"]["value"] <= 1
    gold = {row["group"]: row for row in result.agreement["gold_vs_majority"]}
    assert gold["all"]["kappa"]["value"] > 0.5


def test_label_bias_detected(reviewed):
    _, _, _, result = reviewed
    overall = next(test for test in result.label_bias if test["item_group"] == "all")
    finding = next(f for f in result.findings if f["id"] == "label_bias_locale")

    assert overall["group"] == "en-US"
    assert overall["other"] == "fi-FI"
    assert overall["difference"]["value"] > 0
    assert overall["p_adjusted"] < 0.05
    assert finding["verdict"] == "fail"
    assert finding["bias_category"]["category"] == "human cognitive bias"
    assert finding["bias_category"]["subtype"] == "data labels and labelling process"


def test_label_bias_absent_when_groups_agree(text_run_dir, tmp_path):
    run = load_run(text_run_dir)
    sample = draw_sample(run, size=60, min_per_stratum=3, seed=3)
    path = tmp_path / "labels.csv"
    simulate_labels(sample.items, READERS, accuracy=1.0, seed=2).to_csv(path, index=False)
    annotations = read_annotations(path, scale=sample.scale, item_ids=set(sample.items["item_id"]))

    result = assess_review(run, annotations, sample=sample, replicates=100)
    finding = next(f for f in result.findings if f["id"] == "label_bias_locale")
    reliability = next(f for f in result.findings if f["id"] == "label_reliability")

    assert result.alpha == pytest.approx(1.0)
    assert finding["verdict"] == "pass"
    assert reliability["verdict"] == "pass"
    assert result.adjudication.empty


def test_adjudication_lists_disagreements(reviewed):
    run_dir, sample, labels, result = reviewed
    listed = pd.read_csv(run_dir / "review" / "adjudication.csv", dtype=str, keep_default_na=False)
    counts = labels.groupby("item_id")["label"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    disputed = set(counts[1 - counts > 0.3].index)

    assert disputed <= set(listed["item_id"])
    assert (listed["adjudicated_label"] == "").all()
    assert {"text", "english_gloss", "gold_label", "majority_label", "reason"} <= set(listed)


def test_weights_come_from_sample(reviewed):
    _, sample, _, result = reviewed
    weights = sample.items.set_index("item_id")["weight"]

    merged = result.items.set_index("item_id")["weight"]
    assert merged.to_dict() == pytest.approx(weights.loc[merged.index].to_dict())
    assert result.settings["weighted"] is True


def test_findings_json_gets_review_section(reviewed):
    run_dir, _, _, result = reviewed
    findings = json.loads((run_dir / "findings.json").read_text(encoding="utf-8"))

    assert findings["review"]["agreement"]["alpha"]["value"] == pytest.approx(result.alpha)
    assert "items" not in findings["review"]
    assert {f["id"] for f in findings["review"]["findings"]} == {
        "label_reliability",
        "label_bias_locale",
    }


def test_no_overlap_between_annotators(text_run_dir, copy_run, tmp_path):
    run_dir = copy_run(text_run_dir)
    sample = export_review(run_dir, size=30, seed=0)
    ids = sample.items["item_id"].tolist()
    labels = pd.DataFrame(
        {
            "item_id": ids,
            "annotator_id": [f"r{i % 3}" for i in range(len(ids))],
            "label": "escalate",
        }
    )
    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False)

    with pytest.raises(DataError, match=r"No item .* two or more annotators .* alpha is undefined"):
        import_review(path, run_dir, replicates=50)
    assert not (run_dir / "review.json").exists()


def test_review_without_sample_is_unweighted(text_run_dir, tmp_path):
    run = load_run(text_run_dir)
    chosen = run.items["item_id"].iloc[:20].tolist()
    labels = pd.DataFrame(
        [
            {"item_id": item, "annotator_id": name, "label": label}
            for item in chosen
            for name, label in (("a", "escalate"), ("b", "escalate"), ("c", "no_escalate"))
        ]
    )
    path = tmp_path / "labels.csv"
    labels.to_csv(path, index=False)
    annotations = read_annotations(path, scale=run.default_scale(), item_ids=set(chosen))

    result = assess_review(run, annotations, replicates=50)

    assert result.settings["weighted"] is False
    assert (result.items["weight"] == 1.0).all()
    assert "unweighted" in {warning["code"] for warning in result.warnings}
    assert "no_annotator_attributes" in {warning["code"] for warning in result.warnings}
    assert [finding["id"] for finding in result.findings] == ["label_reliability"]


def test_ordinal_scale_uses_positions(text_run_dir, tmp_path):
    run = load_run(text_run_dir)
    scale = LabelScale(("low", "medium", "high"), "ordinal", "escalate")
    sample = draw_sample(run, size=30, seed=0, scale=scale)
    rng = np.random.default_rng(0)
    rows = []
    for item in sample.items["item_id"]:
        base = rng.integers(0, 3)
        for name, shift in (("a", 0), ("b", 0), ("c", 1)):
            level = scale.labels[min(2, base + shift)]
            rows.append({"item_id": item, "annotator_id": name, "label": level})
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    annotations = read_annotations(path, scale=scale, item_ids=set(sample.items["item_id"]))

    result = assess_review(run, annotations, sample=sample, replicates=50)
    codes, _ = ratings_matrix(annotations, result.items["item_id"].tolist(), scale)
    expected = krippendorff.alpha(
        reliability_data=codes, value_domain=[0, 1, 2], level_of_measurement="ordinal"
    )
    model = result.agreement["model_vs_majority"][0]

    assert result.agreement["level"] == "ordinal"
    assert result.alpha == pytest.approx(expected)
    assert model["kappa"]["value"] is None
    assert "not labels of the review scale" in model["kappa"]["reason"]
