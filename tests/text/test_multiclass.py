"""Per-group confusion matrices, recall per class, top confusions and their gaps."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix
from statsmodels.stats.proportion import proportion_confint

from equilens.metrics.multiclass import (
    class_recall,
    confusion_by_group,
    multiclass_report,
    top_confusions,
)
from equilens.stats.significance import compare_proportions

Y_TRUE = ["anger", "anger", "anger", "joy", "joy", "sadness", "anger", "anger", "joy", "sadness"]
Y_PRED = ["neutral", "neutral", "anger", "joy", "joy", "neutral", "anger", "anger", "joy", "joy"]
GROUP = ["f", "f", "f", "f", "f", "f", "m", "m", "m", "m"]


def test_confusion_matches_sklearn():
    counts = confusion_by_group(Y_TRUE, Y_PRED, GROUP, attribute="gender")
    labels = ["anger", "joy", "neutral", "sadness"]
    assert counts.groups == ["f", "m"]
    assert counts.true_labels == ["anger", "joy", "sadness"]
    assert counts.predicted_labels == ["anger", "joy", "neutral"]
    for group in counts.groups:
        rows = [index for index, value in enumerate(GROUP) if value == group]
        expected = confusion_matrix(
            [Y_TRUE[index] for index in rows], [Y_PRED[index] for index in rows], labels=labels
        )
        true_rows = [labels.index(label) for label in counts.true_labels]
        predicted_columns = [labels.index(label) for label in counts.predicted_labels]
        assert np.array_equal(counts.matrix(group), expected[np.ix_(true_rows, predicted_columns)])


def test_class_recall_with_wilson_interval():
    counts = confusion_by_group(Y_TRUE, Y_PRED, GROUP)
    recall = class_recall(counts, "f", level=0.95)
    assert recall["anger"]["value"] == pytest.approx(1 / 3)
    assert recall["anger"]["ci"] == pytest.approx(list(proportion_confint(1, 3, method="wilson")))
    assert recall["joy"]["value"] == 1.0
    assert recall["sadness"]["reason"] == "the model never gives it"


def test_top_confusions_anger_as_neutral():
    counts = confusion_by_group(Y_TRUE, Y_PRED, GROUP)
    top = top_confusions(counts, "f", k=5, level=0.95)
    assert (top[0]["true"], top[0]["predicted"], top[0]["count"]) == ("anger", "neutral", 2)
    assert top[0]["rate"]["value"] == pytest.approx(2 / 3)
    assert all(entry["true"] != entry["predicted"] for entry in top)


def test_multiclass_report_gaps_against_reference():
    report = multiclass_report(
        Y_TRUE,
        Y_PRED,
        {"gender": GROUP},
        references={"gender": "m"},
        level=0.95,
        multiple_testing="benjamini-hochberg",
        top_k=2,
    )
    attribute = report["attributes"][0]
    assert attribute["reference"] == "m"
    assert [group["accuracy"]["value"] for group in attribute["groups"]] == [0.5, 0.75]
    gap = next(
        gap
        for gap in attribute["confusion_gaps"]
        if (gap["true"], gap["predicted"]) == ("anger", "neutral")
    )
    assert gap["group"] == "f"
    assert gap["difference"]["value"] == pytest.approx(2 / 3)
    assert gap["test"]["p_value"] == pytest.approx(compare_proportions(2, 3, 0, 2).p_value)
    assert report["tests"] == len(attribute["confusion_gaps"])


def test_confusion_by_group_length_mismatch():
    with pytest.raises(ValueError, match="one value per row"):
        confusion_by_group(["a"], ["a", "b"], ["g"])
