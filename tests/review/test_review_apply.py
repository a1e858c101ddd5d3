"""Applying adjudicated labels: re-running the audit and comparing its findings."""

import json

import pandas as pd
import pytest

from equilens.errors import DataError
from equilens.review import apply_adjudication, diff_findings, load_run, read_adjudicated


def _finding(identifier, verdict, value, groups=()):
    return {
        "id": identifier,
        "statement": identifier,
        "verdict": verdict,
        "effect": {"group": ["b"], "value": value, "ci": [value - 0.1, value + 0.1]},
        "p_adjusted": 0.01,
        "groups": [{"group": [name], "verdict": state, "value": value} for name, state in groups],
    }


def test_diff_findings_reports_changes():
    before = {
        "findings": [
            _finding("same", "pass", 0.02),
            _finding("moved", "fail", 0.30, [("b", "fail"), ("c", "pass")]),
            _finding("gone", "pass", 0.0),
        ]
    }
    after = {
        "findings": [
            _finding("same", "pass", 0.02),
            _finding("moved", "pass", 0.05, [("b", "pass"), ("c", "pass")]),
            _finding("new", "fail", 0.2),
        ]
    }

    diff = diff_findings(before, after)
    rows = {row["id"]: row for row in diff["findings"]}

    assert diff["findings"][0]["id"] == "moved"
    assert rows["moved"]["verdict_changed"] is True
    assert rows["moved"]["effect_change"] == pytest.approx(-0.25)
    assert rows["moved"]["groups_changed"] == [
        {
            "group": ["b"],
            "verdict_before": "fail",
            "verdict_after": "pass",
            "value_before": 0.30,
            "value_after": 0.05,
        }
    ]
    assert rows["same"]["verdict_changed"] is False
    assert rows["same"]["effect_changed"] is False
    assert diff["verdicts_changed"] == 1
    assert diff["only_before"] == ["gone"]
    assert diff["only_after"] == ["new"]


def test_apply_tabular_changes_labels(tabular_run_dir, tmp_path):
    predictions = pd.read_parquet(tabular_run_dir / "predictions.parquet")
    positives = predictions[(predictions["region"] == "b") & (predictions["y_true"] == 1)]
    flipped = positives["row_id"].astype(str).tolist()
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame({"item_id": flipped, "adjudicated_label": "unfavorable"}).to_csv(path, index=False)
    out = tmp_path / "rerun"

    applied = apply_adjudication(path, tabular_run_dir, out)
    rerun = pd.read_parquet(out / "predictions.parquet")
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    recall = findings["review"]["comparison"]["findings"][0]

    assert rerun.loc[rerun["row_id"].astype(str).isin(flipped), "y_true"].eq(0).all()
    assert int(rerun["y_true"].sum()) == int(predictions["y_true"].sum()) - len(flipped)
    assert recall["id"] == "recall_region"
    assert recall["effect_before"] != recall["effect_after"]
    assert findings["review"]["relabelled"]["items"] == len(flipped)
    assert (out / "adjudicated_labels.csv").is_file()
    assert applied.relabelled["adjudicated_label"].eq("unfavorable").all()
    assert "Findings after adjudication" in (out / "report.html").read_text(encoding="utf-8")


def test_apply_text_uses_adjudicated_gold(text_run_dir, tmp_path):
    run = load_run(text_run_dir)
    serious = run.items[run.items["gold_label"] == "escalate"]["item_id"].iloc[:15].tolist()
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame({"item_id": serious, "adjudicated_label": "no_escalate", "note": "x"}).to_csv(
        path, index=False
    )
    out = tmp_path / "rerun"

    applied = apply_adjudication(path, text_run_dir, out)
    reloaded = load_run(out)
    gold = reloaded.items.set_index("item_id")["gold_label"]

    assert (gold.loc[serious] == "no_escalate").all()
    assert reloaded.overrides == dict.fromkeys(serious, "no_escalate")
    assert applied.comparison["findings"][0]["id"] == "locale_recall"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "adjudicated gold labels" in summary
    assert "## Text audit" in summary


def test_read_adjudicated_skips_blank_rows(tabular_run_dir, tmp_path):
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame(
        {"item_id": ["1", "2", "3"], "adjudicated_label": ["favorable", "", "unfavorable"]}
    ).to_csv(path, index=False)

    frame = read_adjudicated(path, load_run(tabular_run_dir))

    assert frame["item_id"].tolist() == ["1", "3"]
    assert set(frame.columns) == {"item_id", "gold_label", "adjudicated_label"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {"item_id": ["999999"], "adjudicated_label": ["favorable"]},
            r"did not audit: \['999999'\]",
        ),
        ({"item_id": ["1"], "adjudicated_label": ["favourable"]}, r"Did you mean 'favorable'"),
        (
            {"item_id": ["1", "1"], "adjudicated_label": ["favorable", "unfavorable"]},
            r"Item '1' has the adjudicated labels",
        ),
        ({"item_id": ["1"], "adjudicated_label": [""]}, r"has no adjudicated labels"),
        ({"item": ["1"], "verdict": ["favorable"]}, r"needs the columns 'item_id'"),
    ],
)
def test_read_adjudicated_bad_input(tabular_run_dir, tmp_path, rows, message):
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame(rows).to_csv(path, index=False)

    with pytest.raises(DataError, match=message):
        read_adjudicated(path, load_run(tabular_run_dir))


def test_apply_into_run_folder_is_rejected(tabular_run_dir, tmp_path):
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame({"item_id": ["1"], "adjudicated_label": ["favorable"]}).to_csv(path, index=False)

    with pytest.raises(DataError, match="is the run folder itself"):
        apply_adjudication(path, tabular_run_dir, tabular_run_dir)
