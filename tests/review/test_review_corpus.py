"""Reviewing a text audit of a labelled corpus, audited from a relative plan path."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from equilens.errors import DataError
from equilens.review import (
    apply_adjudication,
    assess_review,
    draw_sample,
    load_run,
    read_annotations,
)
from equilens.runner import run_plan_file
from equilens.text.demo import VADER_RULE

SENTIMENT_RULE = {**VADER_RULE, "positive_label": "negative", "negative_label": "not_negative"}


@pytest.fixture
def corpus_run(tmp_path, monkeypatch):
    """A VADER sentiment audit of a 200-row emotion corpus, run from its own folder with
    the relative plan path 'plan.yaml', as `equilens audit plan.yaml` would run it."""
    rng = np.random.default_rng(0)
    angry = rng.random(200) < 0.5
    pd.DataFrame(
        {
            "ID": [f"r{index}" for index in range(200)],
            "Sentence": [
                f"This is awful and I am furious ({index})"
                if anger
                else f"Thanks, all good ({index})"
                for index, anger in enumerate(angry)
            ],
            "Emotion": np.where(angry, "anger", "joy"),
            "Gender": rng.choice(["female", "male"], 200),
        }
    ).to_csv(tmp_path / "corpus.csv", index=False)
    plan = {
        "kind": "text",
        "name": "corpus review",
        "data": {
            "path": "corpus.csv",
            "text_column": "Sentence",
            "label_column": "Emotion",
            "id_column": "ID",
            "group_columns": ["Gender"],
            "locale": "en",
        },
        "runs": [{"name": "vader", "model": {"kind": "vader", "rule": SENTIMENT_RULE}}],
        "positive_label": "negative",
        "positive_gold_labels": ["anger"],
        "bootstrap_replicates": 100,
    }
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run_plan_file("plan.yaml").write("run")
    return tmp_path / "run"


def test_corpus_run_finds_its_file(corpus_run):
    run = load_run(corpus_run)

    assert run.labels == ("anger", "joy")
    assert run.review_positive == "anger"
    assert len(run.items) == 200
    assert run.items["text"].str.startswith(("This is", "Thanks")).all()


def test_corpus_kappa_compares_positive_or_not(corpus_run, tmp_path):
    run = load_run(corpus_run)
    sample = draw_sample(run, size=40, seed=0)
    rows = [
        {"item_id": item, "annotator_id": name, "label": gold}
        for item, gold in zip(sample.items["item_id"], sample.items["gold_label"], strict=True)
        for name in ("a", "b")
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "labels.csv", index=False)
    annotations = read_annotations(
        tmp_path / "labels.csv", scale=sample.scale, item_ids=set(sample.items["item_id"])
    )

    result = assess_review(run, annotations, sample=sample, replicates=50)
    overall = result.agreement["model_vs_majority"][0]

    assert sample.scale.positive_label == "anger"
    assert overall["compared"] == "positive (anger) or not"
    assert overall["kappa"]["value"] == pytest.approx(1.0)


def test_corpus_apply_rewrites_labels(corpus_run, tmp_path):
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame({"item_id": ["r0", "r1"], "adjudicated_label": ["joy", "joy"]}).to_csv(
        path, index=False
    )

    apply_adjudication(path, corpus_run, tmp_path / "rerun")
    records = [
        json.loads(line)
        for line in (tmp_path / "rerun" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    rerun = load_run(tmp_path / "rerun")

    assert len(records) == 200
    assert {record["id"]: record["label"] for record in records}["r0"] == "joy"
    assert rerun.items.set_index("item_id").loc[["r0", "r1"], "gold_label"].tolist() == [
        "joy",
        "joy",
    ]
    assert records[0]["Gender"] in ("female", "male")


def test_corpus_file_missing(corpus_run, tmp_path):
    (tmp_path / "corpus.csv").unlink()

    with pytest.raises(DataError, match=r"corpus file '.*corpus\.csv' .* was not found"):
        load_run(corpus_run)


def test_corpus_file_changed(corpus_run, tmp_path):
    with (tmp_path / "corpus.csv").open("a", encoding="utf-8") as handle:
        handle.write("r999,Another line,joy,male\n")

    with pytest.raises(DataError, match="changed since the audit"):
        load_run(corpus_run)


def test_corpus_copy_found_after_moving_folder(corpus_run, tmp_path):
    path = tmp_path / "adjudicated.csv"
    pd.DataFrame({"item_id": ["r0"], "adjudicated_label": ["joy"]}).to_csv(path, index=False)
    apply_adjudication(path, corpus_run, tmp_path / "rerun")

    (tmp_path / "rerun").rename(tmp_path / "moved")
    moved = load_run(tmp_path / "moved")

    assert moved.items.set_index("item_id").loc["r0", "gold_label"] == "joy"
