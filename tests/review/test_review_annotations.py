"""Reading reviewers' CSV labels, and every kind of bad input with its message."""

import pandas as pd
import pytest

from equilens.errors import DataError
from equilens.review import LabelScale, read_annotations

SCALE = LabelScale(("escalate", "no_escalate"), positive_label="escalate")
ITEMS = {"m1", "m2", "m3"}


def _write(tmp_path, rows, name="labels.csv"):
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_reads_labels_and_attributes(tmp_path):
    path = _write(
        tmp_path,
        [
            {
                "item_id": "m1",
                "annotator_id": "a",
                "label": "escalate",
                "annotator_locale": "ja-JP",
            },
            {
                "item_id": "m1",
                "annotator_id": "b",
                "label": "no_escalate",
                "annotator_locale": "en-US",
            },
        ],
    )

    annotations = read_annotations(path, scale=SCALE, item_ids=ITEMS)

    assert annotations.attributes == ["annotator_locale"]
    assert annotations.frame["label"].tolist() == ["escalate", "no_escalate"]
    assert annotations.format == "csv"
    assert len(annotations.sha256) == 64


def test_unknown_item_ids(tmp_path):
    path = _write(
        tmp_path,
        [
            {"item_id": "m1", "annotator_id": "a", "label": "escalate"},
            {"item_id": "m9", "annotator_id": "a", "label": "escalate"},
        ],
    )

    with pytest.raises(DataError, match=r"not in the review sample: \['m9'\] \(line 3;"):
        read_annotations(path, scale=SCALE, item_ids=ITEMS)


def test_annotator_labels_item_twice(tmp_path):
    path = _write(
        tmp_path,
        [
            {"item_id": "m1", "annotator_id": "a", "label": "escalate"},
            {"item_id": "m2", "annotator_id": "a", "label": "escalate"},
            {"item_id": "m1", "annotator_id": "a", "label": "no_escalate"},
        ],
    )

    with pytest.raises(
        DataError, match=r"Annotator 'a' labelled item 'm1' 2 times .*line 2, line 4"
    ):
        read_annotations(path, scale=SCALE, item_ids=ITEMS)


def test_label_outside_the_set(tmp_path):
    path = _write(tmp_path, [{"item_id": "m1", "annotator_id": "a", "label": "escalte"}])

    with pytest.raises(DataError) as error:
        read_annotations(path, scale=SCALE, item_ids=ITEMS)

    message = str(error.value)
    assert "'escalte' (line 2)" in message
    assert "Did you mean 'escalate'" in message
    assert "['escalate', 'no_escalate']" in message


def test_missing_column(tmp_path):
    path = _write(tmp_path, [{"item_id": "m1", "rater": "a", "label": "escalate"}])

    with pytest.raises(DataError, match=r"Column 'annotator_id' not found"):
        read_annotations(path, scale=SCALE, item_ids=ITEMS)


def test_empty_label(tmp_path):
    path = _write(tmp_path, [{"item_id": "m1", "annotator_id": "a", "label": ""}])

    with pytest.raises(DataError, match=r"empty item_id, annotator_id or label \(line 2\)"):
        read_annotations(path, scale=SCALE, item_ids=ITEMS)


def test_annotator_with_two_locales(tmp_path):
    path = _write(
        tmp_path,
        [
            {
                "item_id": "m1",
                "annotator_id": "a",
                "label": "escalate",
                "annotator_locale": "fi-FI",
            },
            {
                "item_id": "m2",
                "annotator_id": "a",
                "label": "escalate",
                "annotator_locale": "en-GB",
            },
        ],
    )

    with pytest.raises(DataError, match=r"Annotator 'a' has 2 values of annotator_locale"):
        read_annotations(path, scale=SCALE, item_ids=ITEMS)


def test_file_without_labels(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("item_id,annotator_id,label\n", encoding="utf-8")

    with pytest.raises(DataError, match="contains no labels"):
        read_annotations(path, scale=SCALE, item_ids=ITEMS)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_annotations(tmp_path / "nope.csv", scale=SCALE, item_ids=ITEMS)


def test_annotators_file_adds_attributes(tmp_path):
    labels = _write(tmp_path, [{"item_id": "m1", "annotator_id": "a", "label": "escalate"}])
    people = _write(
        tmp_path, [{"annotator_id": "a", "annotator_locale": "ja-JP"}], name="annotators.csv"
    )

    annotations = read_annotations(labels, scale=SCALE, item_ids=ITEMS, annotators=people)

    assert annotations.frame["annotator_locale"].tolist() == ["ja-JP"]


def test_annotators_file_missing_annotator(tmp_path):
    labels = _write(tmp_path, [{"item_id": "m1", "annotator_id": "zed", "label": "escalate"}])
    people = _write(
        tmp_path, [{"annotator_id": "a", "annotator_locale": "ja-JP"}], name="annotators.csv"
    )

    with pytest.raises(DataError, match=r"\['zed'\] are not in the annotator file"):
        read_annotations(labels, scale=SCALE, item_ids=ITEMS, annotators=people)


def test_scale_rejects_bad_definitions():
    with pytest.raises(DataError, match="at least two labels"):
        LabelScale(("only",))
    with pytest.raises(DataError, match="listed more than once"):
        LabelScale(("a", "a"))
    with pytest.raises(DataError, match="not a number"):
        LabelScale(("low", "high"), "interval")
    with pytest.raises(DataError, match="Unknown label type 'ordnal'"):
        LabelScale(("a", "b"), "ordnal")


def test_scale_numeric_values():
    assert SCALE.numeric(["escalate", "no_escalate"]).tolist() == [1.0, 0.0]
    assert LabelScale(("S0", "S1", "S2"), "ordinal").numeric(["S2", "S0"]).tolist() == [2.0, 0.0]
    assert LabelScale(("1", "2.5"), "interval").numeric(["2.5"]).tolist() == [2.5]
