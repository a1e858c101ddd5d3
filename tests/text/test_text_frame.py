"""Building the text table from items and corpora, and laying out the audit views."""

import pandas as pd
import pytest
from beds import escalation_items

from equilens.errors import DataError
from equilens.text import TextData, parse_text_plan, read_corpus
from equilens.text.items import (
    corpus_frame,
    default_attributes,
    item_columns,
    items_frame,
    pair_attributes,
)
from equilens.text.tabular import MAX_CELLS_PER_CALL, batch_groupings
from equilens.text.views import View, plan_views

RULE = {
    "score": "compound",
    "operator": "<=",
    "threshold": -0.05,
    "positive_label": "escalate",
    "negative_label": "no_escalate",
}


def plan(hypotheses=(), runs=("a", "b")):
    return parse_text_plan(
        {
            "kind": "text",
            "data": {"testbed": "escalation"},
            "runs": [{"name": name, "model": {"kind": "vader", "rule": RULE}} for name in runs],
            "positive_label": "escalate",
            "hypotheses": list(hypotheses),
        }
    )


@pytest.fixture(scope="module")
def table():
    return items_frame(escalation_items(personas=2), positives={"escalate"})


def test_items_frame_styles(table):
    styles = set(table["style"])
    assert styles == {
        "base",
        "control",
        "intensity=understated",
        "intensity=extreme",
        "gender=male",
    }
    controls = table[table["pair_role"] == "control"]
    assert set(controls["style"]) == {"control"}


def test_items_frame_gold(table):
    severe = table[table["severity"].isin(["S3", "S4"])]
    assert severe["y_true"].eq(1).all()
    assert table.loc[~table.index.isin(severe.index), "y_true"].eq(0).all()
    assert set(severe["label"]) == {"escalate"}


def test_items_frame_attribute_columns(table):
    row = table[table["style"] == "gender=male"].iloc[0]
    assert row["gender"] == "male"
    assert row["varied_axis"] == "gender"
    assert row["english_gloss"] == row["text"]


def test_default_attributes_for_testbed(table):
    assert default_attributes(table) == ["locale", "style", "severity"]
    assert pair_attributes(table) == ["gender"]
    assert item_columns(table) == ["intensity", "gender", "age_band", "name_origin"]


def test_corpus_frame_positive_label_absent(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("text,label\na,joy\nb,anger\n", encoding="utf-8")
    corpus = read_corpus(TextData(path=path))
    with pytest.raises(DataError, match=r"positive gold labels \['fear'\] do not occur"):
        corpus_frame(corpus, positives={"fear"})
    frame = corpus_frame(corpus, positives={"anger"})
    assert frame["y_true"].tolist() == [0, 1]
    assert corpus_frame(corpus, positives={"anger", "joy"})["y_true"].tolist() == [1, 1]


def scored(table):
    rows = []
    for run in ("a", "b"):
        frame = table.copy()
        frame["run"] = run
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def test_views_for_several_runs(table):
    views, planned = plan_views(
        plan(),
        scored(table),
        attributes=["locale", "style"],
        intersections=[["locale", "style"]],
        run_names=["a", "b"],
        pair_attributes=["gender"],
    )
    suffixes = [view.suffix for view in views]
    assert suffixes == ["", " [a]", " [b]", " [a, gender pairs]", " [b, gender pairs]"]
    assert views[0].groupings == [("run",), ("locale",), ("run", "locale")]
    assert ("locale", "style") in views[1].groupings
    assert planned == []


def test_hypothesis_translated_per_run(table):
    hypothesis = {
        "id": "understated",
        "metric": "tpr",
        "attribute": "style",
        "comparison": "difference",
        "threshold": 0.1,
        "where": {"severity": [3, 4]},
    }
    views, planned = plan_views(
        plan([hypothesis]),
        scored(table),
        attributes=["style"],
        intersections=[],
        run_names=["a", "b"],
    )
    assert [entry.hypothesis.id for entry in planned] == ["understated[a]", "understated[b]"]
    assert planned[0].hypothesis.attribute == "style [a, severity S3|S4]"
    assert planned[0].view.where == (("severity", ("S3", "S4")),)


def test_hypothesis_on_runs_uses_all_runs_view(table):
    hypothesis = {
        "metric": "tpr",
        "attribute": ["run", "locale"],
        "comparison": "difference",
        "threshold": 0.1,
    }
    _, planned = plan_views(
        plan([hypothesis]),
        scored(table),
        attributes=["locale"],
        intersections=[],
        run_names=["a", "b"],
    )
    assert planned[0].hypothesis.attributes == ("run", "locale")
    assert planned[0].run is None


def test_where_unknown_column(table):
    hypothesis = {
        "metric": "tpr",
        "attribute": "style",
        "comparison": "difference",
        "threshold": 0.1,
        "where": {"severty": [3]},
    }
    with pytest.raises(DataError, match="'severty'.*Did you mean 'severity'"):
        plan_views(
            plan([hypothesis]),
            scored(table),
            attributes=["style"],
            intersections=[],
            run_names=["a", "b"],
        )


def test_where_keeps_no_rows(table):
    hypothesis = {
        "metric": "tpr",
        "attribute": "style",
        "comparison": "difference",
        "threshold": 0.1,
        "where": {"severity": ["S9"]},
    }
    with pytest.raises(DataError, match="keeps no rows"):
        plan_views(
            plan([hypothesis]),
            scored(table),
            attributes=["style"],
            intersections=[],
            run_names=["a", "b"],
        )


def test_view_suffix_forms():
    assert View(None).suffix == ""
    assert View("r", (("locale", ("ja-JP",)), ("varied_axis", ("name_origin",)))).suffix == (
        " [r, ja-JP, name_origin pairs]"
    )
    assert View("r", (("severity", ("S3", "S4")),)).name("style") == "style [r, severity S3|S4]"


def test_batches_stay_under_cell_bound():
    sizes = {"style": 45, "severity": 5, "locale": 2, "gender": 3, "age": 4}
    groupings = [
        ("style",),
        ("severity",),
        ("locale",),
        ("gender",),
        ("age",),
        ("locale", "style"),
        ("severity", "locale"),
    ]
    batches = batch_groupings(groupings, sizes)
    assert [grouping for batch in batches for grouping in batch] == groupings
    for batch in batches:
        columns = {column for grouping in batch for column in grouping}
        product = 1
        for column in columns:
            product *= sizes[column]
        assert product <= MAX_CELLS_PER_CALL
