"""Label Studio formats: the configuration, the tasks and round trips through the export."""

import json
import xml.etree.ElementTree as ElementTree

import pandas as pd
import pytest

from equilens.errors import DataError
from equilens.review import (
    LabelScale,
    draw_sample,
    labelstudio_config,
    labelstudio_tasks,
    load_run,
    read_annotations,
    read_labelstudio_export,
)
from equilens.review._files import write_sample


def _export(tasks, judgements):
    """Build a Label Studio JSON export: `judgements` maps item ids to (annotator, label)."""
    exported = []
    for number, task in enumerate(tasks, start=1):
        item_id = task["data"]["item_id"]
        annotations = []
        for index, (annotator, label) in enumerate(judgements.get(item_id, [])):
            author = annotator if index % 2 else {"id": 7, "email": annotator}
            annotations.append(
                {
                    "id": number * 10 + index,
                    "completed_by": author,
                    "was_cancelled": False,
                    "result": [
                        {
                            "from_name": "label",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": [label]},
                        }
                    ],
                }
            )
        exported.append({"id": number, "data": task["data"], "annotations": annotations})
    return exported


@pytest.fixture(scope="module")
def text_sample(text_run_dir):
    return draw_sample(load_run(text_run_dir), size=40, seed=2)


def test_config_lists_choices_in_scale_order():
    scale = LabelScale(("S0", "S1", "S2"), "ordinal")
    root = ElementTree.fromstring(labelstudio_config(scale))
    choices = root.find("Choices")

    assert [choice.get("value") for choice in choices.findall("Choice")] == ["S0", "S1", "S2"]
    assert choices.get("name") == "label"
    assert choices.get("toName") == "text"
    assert choices.get("choice") == "single-radio"


def test_config_shows_gloss_beside_text():
    root = ElementTree.fromstring(labelstudio_config(LabelScale(("a", "b"))))
    texts = {element.get("name"): element.get("value") for element in root.iter("Text")}

    assert texts == {"text": "$text", "english_gloss": "$english_gloss"}
    panes = root.find("View")
    assert "display: flex" in panes.get("style")
    assert len(panes.findall("View")) == 2


def test_config_escapes_labels():
    hostile = 'a<b&"c"'
    config = labelstudio_config(LabelScale((hostile, "plain")))
    root = ElementTree.fromstring(config)

    assert root.find("Choices").find("Choice").get("value") == hostile
    assert "<b&" not in config


def test_tasks_one_per_item_with_gloss_for_finnish(text_sample):
    tasks = labelstudio_tasks(text_sample, seed=0)
    by_id = {task["data"]["item_id"]: task["data"] for task in tasks}
    items = text_sample.items.set_index("item_id")

    assert len(tasks) == len(text_sample.items)
    assert set(by_id) == set(items.index)
    for item_id, data in by_id.items():
        assert data["text"] == items.loc[item_id, "text"]
        if items.loc[item_id, "locale"] == "fi-FI":
            assert data["english_gloss"] == items.loc[item_id, "english_gloss"]
            assert data["gloss_heading"] == "English gloss"
        else:
            assert data["english_gloss"] == ""
            assert data["gloss_heading"] == ""


def test_tasks_order_is_shuffled_and_seeded(text_sample):
    first = [task["data"]["item_id"] for task in labelstudio_tasks(text_sample, seed=0)]
    again = [task["data"]["item_id"] for task in labelstudio_tasks(text_sample, seed=0)]

    assert first == again
    assert first != text_sample.items["item_id"].tolist()


def test_export_round_trip(text_sample, tmp_path):
    tasks = labelstudio_tasks(text_sample)
    items = text_sample.items["item_id"].tolist()
    judgements = {
        item_id: [("ann@example.org", "escalate"), ("bob", "no_escalate")] for item_id in items
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(tasks, judgements)), encoding="utf-8")

    frame, skipped = read_labelstudio_export(path)

    assert len(frame) == 2 * len(items)
    assert set(frame["annotator_id"]) == {"ann@example.org", "bob"}
    labels = frame.set_index(["item_id", "annotator_id"])["label"]
    assert (labels.xs("ann@example.org", level="annotator_id") == "escalate").all()
    assert (labels.xs("bob", level="annotator_id") == "no_escalate").all()
    assert skipped == {"cancelled": 0, "without_choice": 0}


def test_export_skips_cancelled_annotations(text_sample, tmp_path):
    tasks = labelstudio_tasks(text_sample)[:2]
    exported = _export(tasks, {tasks[0]["data"]["item_id"]: [("ann", "escalate")]})
    exported[1]["annotations"] = [{"id": 1, "completed_by": 3, "was_cancelled": True, "result": []}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(exported), encoding="utf-8")

    frame, skipped = read_labelstudio_export(path)

    assert len(frame) == 1
    assert skipped["cancelled"] == 1


def test_export_without_item_id(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 5, "data": {"text": "x"}, "annotations": []}]))

    with pytest.raises(DataError, match=r"task 5 .* has no data.item_id"):
        read_labelstudio_export(path)


def test_export_with_two_choices(tmp_path):
    annotation = {
        "id": 9,
        "completed_by": 1,
        "result": [{"from_name": "label", "value": {"choices": ["a", "b"]}}],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"item_id": "x"}, "annotations": [annotation]}]))

    with pytest.raises(DataError, match=r"task 1, annotation 9 .* exactly one label"):
        read_labelstudio_export(path)


def test_export_json_min_is_rejected(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "item_id": "x", "label": "a", "annotator": "u"}]))

    with pytest.raises(DataError, match="JSON_MIN"):
        read_labelstudio_export(path)


def test_export_without_annotator(tmp_path):
    annotation = {"id": 2, "result": [{"from_name": "label", "value": {"choices": ["a"]}}]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"item_id": "x"}, "annotations": [annotation]}]))

    with pytest.raises(DataError, match="no 'completed_by'"):
        read_labelstudio_export(path)


def test_read_annotations_from_export(text_sample, tmp_path):
    tasks = labelstudio_tasks(text_sample)
    item_id = tasks[0]["data"]["item_id"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_export(tasks, {item_id: [("a", "escalate"), ("b", "escalate")]})))

    annotations = read_annotations(
        path, scale=text_sample.scale, item_ids=set(text_sample.items["item_id"])
    )

    assert annotations.format == "labelstudio"
    assert annotations.frame["label"].tolist() == ["escalate", "escalate"]


def test_annotation_sheet_round_trip(text_sample, text_run_dir, tmp_path):
    paths = write_sample(text_sample, tmp_path / "sample", run_dir=text_run_dir)
    sheet = pd.read_csv(paths["sheet"], dtype=str, keep_default_na=False)
    filled = pd.concat(
        [sheet.assign(annotator_id=name, label="no_escalate") for name in ("r1", "r2")]
    )
    filled.to_csv(tmp_path / "filled.csv", index=False)

    annotations = read_annotations(
        tmp_path / "filled.csv",
        scale=text_sample.scale,
        item_ids=set(text_sample.items["item_id"]),
    )

    assert len(annotations.frame) == 2 * len(text_sample.items)
    assert set(annotations.frame["item_id"]) == set(text_sample.items["item_id"])
    assert set(sheet.columns) >= {"item_id", "text", "english_gloss", "annotator_id", "label"}
    assert "gold_label" not in sheet.columns
