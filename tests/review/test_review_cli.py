"""The `equilens review` commands: outputs, exit codes and messages."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from review_cases import simulate_labels
from typer.testing import CliRunner

from equilens.cli import app

runner = CliRunner()

READERS = {
    "a": {"annotator_locale": "en-US"},
    "b": {"annotator_locale": "en-US"},
    "c": {"annotator_locale": "fi-FI"},
}


def _invoke(*arguments):
    return runner.invoke(app, ["review", *[str(argument) for argument in arguments]])


def test_export_import_apply(text_run_dir, copy_run, tmp_path):
    run_dir = copy_run(text_run_dir)
    sample_dir = tmp_path / "sample"

    exported = _invoke("export", run_dir, "--out", sample_dir, "--size", 40, "--seed", 5)
    items = pd.read_csv(sample_dir / "review.csv", dtype=str, keep_default_na=False)
    labels = simulate_labels(items, READERS, accuracy=0.8, seed=3)
    labels.to_csv(tmp_path / "labels.csv", index=False)
    imported = _invoke(
        "import", tmp_path / "labels.csv", "--run", run_dir, "--sample", sample_dir,
        "--replicates", 100,
    )  # fmt: skip
    adjudication = pd.read_csv(sample_dir / "adjudication.csv", dtype=str, keep_default_na=False)
    adjudication["adjudicated_label"] = adjudication["gold_label"]
    adjudication.to_csv(tmp_path / "adjudicated.csv", index=False)
    applied = _invoke(
        "apply", tmp_path / "adjudicated.csv", "--run", run_dir, "--out", tmp_path / "new"
    )

    assert exported.exit_code == 0, exported.output
    for name in (
        "review.csv",
        "review_sample.json",
        "annotation_sheet.csv",
        "labelstudio_tasks.json",
        "labelstudio_config.xml",
    ):
        assert (sample_dir / name).is_file(), name
    assert imported.exit_code == 0, imported.output
    assert "Krippendorff's alpha (nominal)" in imported.output
    assert (
        json.loads((run_dir / "review.json").read_text())["agreement"]["alpha"]["value"] is not None
    )
    assert applied.exit_code == 0, applied.output
    assert "0 of 1 verdicts changed" in applied.output
    assert (tmp_path / "new" / "findings.json").is_file()


def test_export_default_folder_in_run(tabular_run_dir, copy_run):
    run_dir = copy_run(tabular_run_dir)

    result = _invoke("export", run_dir, "--size", 30)

    assert result.exit_code == 0, result.output
    assert (run_dir / "review" / "review.csv").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--group", "regoin"], "Did you mean 'region'"),
        (["--label-type", "ordnal"], "Unknown label type 'ordnal'"),
        (["--labels", "low,high", "--label-type", "interval"], "'low' is not a number"),
        (["--size", "0"], "must be at least 1"),
    ],
)
def test_export_bad_options(tabular_run_dir, copy_run, arguments, message):
    result = _invoke("export", copy_run(tabular_run_dir), *arguments)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_export_run_without_predictions(tmp_path):
    (tmp_path / "run").mkdir()

    result = _invoke("export", tmp_path / "run")

    assert result.exit_code == 2
    assert "has no predictions.parquet" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("m-unknown", "a", "favorable")], "not in the review sample"),
        ([("0", "a", "favorable"), ("0", "a", "unfavorable")], "labelled item '0' 2 times"),
        ([("0", "a", "approve")], "not in the review's label set"),
        ([("0", "a", "favorable"), ("1", "b", "favorable")], "alpha is undefined"),
    ],
)
def test_import_bad_input(tabular_run_dir, copy_run, tmp_path, rows, message):
    run_dir = copy_run(tabular_run_dir)
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]).to_csv(path, index=False)

    result = _invoke("import", path, "--run", run_dir, "--replicates", 100)

    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (run_dir / "review.json").exists()


def test_import_run_without_predictions(tmp_path):
    (tmp_path / "run").mkdir()
    path = tmp_path / "labels.csv"
    path.write_text("item_id,annotator_id,label\nx,a,b\n", encoding="utf-8")

    result = _invoke("import", path, "--run", tmp_path / "run")

    assert result.exit_code == 2
    assert "has no predictions.parquet" in result.output


def test_apply_bad_label(tabular_run_dir, tmp_path):
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame({"item_id": ["1"], "adjudicated_label": ["yes"]}).to_csv(path, index=False)

    result = _invoke("apply", path, "--run", tabular_run_dir, "--out", tmp_path / "new")

    assert result.exit_code == 2
    assert "'yes'" in result.output
    assert "Traceback" not in result.output


DOC = Path(__file__).resolve().parents[2] / "docs" / "review.md"


@pytest.mark.parametrize("command", ["export", "import", "apply"])
def test_documented_options_exist(command):
    text = DOC.read_text(encoding="utf-8")
    # The last block that starts with the command is its synopsis.
    synopsis = re.findall(rf"```sh\nequilens review {command} .*?```", text, flags=re.DOTALL)[-1]
    documented = set(re.findall(r"--[a-z][a-z-]+", synopsis))

    result = runner.invoke(app, ["review", command, "--help"], terminal_width=200)

    assert result.exit_code == 0
    for option in documented:
        assert option in result.output, option
