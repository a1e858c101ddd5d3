"""Text audits of a corpus against a model server on 127.0.0.1, and every bad input."""

import json

import pytest
import yaml
from conftest import http_model, keyword_model

from equilens.errors import DataError
from equilens.text import load_text_plan, run_text_audit
from equilens.text.intensity import writer_reader_gaps

ROWS = [
    ("The charger burned my desk, this is dangerous", "anger", "f", "en-GB"),
    ("I lost 600 euros and this is unacceptable", "anger", "m", "en-GB"),
    ("Awful service, I lost my deposit", "anger", "f", "en-US"),
    ("Everything arrived on time, thank you", "joy", "m", "en-US"),
    ("Lovely staff and a quick refund", "joy", "f", "en-US"),
    ("Could you tell me when it arrives?", "neutral", "m", "en-GB"),
    ("The parcel is late again", "anger", "f", "en-US"),
    ("Not bad at all", "joy", "m", "en-GB"),
]


def write_corpus(tmp_path, rows=ROWS):
    lines = ["text\tlabel\tgender\tlang", *("\t".join(row) for row in rows)]
    path = tmp_path / "corpus.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_plan(tmp_path, url, *, rows=ROWS, model=None, **extra):
    write_corpus(tmp_path, rows)
    raw = {
        "kind": "text",
        "name": "corpus audit",
        "data": {
            "path": "corpus.tsv",
            "group_columns": ["gender"],
            "locale_column": "lang",
            "labels": ["anger", "joy", "neutral"],
        },
        "runs": [
            {
                "name": "service",
                "model": model
                or http_model(
                    url,
                    label_mapping={"escalate": "anger", "no_escalate": "joy"},
                    labels=["anger", "joy", "neutral"],
                ),
                "scores_are_probabilities": True,
            }
        ],
        "positive_label": "anger",
        "cache": "cache.duckdb",
        "min_group_size": 2,
        "bootstrap_replicates": 200,
        "hypotheses": [
            {
                "id": "gender_recall",
                "metric": "true_positive_rate",
                "attribute": "gender",
                "comparison": "difference",
                "threshold": 0.2,
            }
        ],
        **extra,
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_text_plan(path)


def warning_codes(findings):
    return {warning["code"]: warning for warning in findings["warnings"]}


def test_corpus_audit_end_to_end(tmp_path, model_server):
    server = model_server()
    result = run_text_audit(write_plan(tmp_path, server.url))
    findings = result.to_dict()
    assert [finding["id"] for finding in findings["findings"]] == ["gender_recall"]
    assert {entry["name"] for entry in findings["attributes"]} == {"gender", "locale"}
    assert findings["probes"]["calibration"]["runs_measured"] == 1
    groups = findings["probes"]["calibration"]["runs"][0]["groups"]
    assert {group["attribute"] for group in groups} == {"run", "gender", "locale"}
    multiclass = findings["probes"]["multiclass"]
    gender = next(entry for entry in multiclass["attributes"] if entry["attribute"] == "gender")
    assert gender["true_labels"] == ["anger", "joy", "neutral"]
    assert len(server.requests) == 1
    assert server.requests[0]["texts"][0] == ROWS[0][0]


def test_cache_prevents_second_call(tmp_path, model_server):
    server = model_server()
    plan = write_plan(tmp_path, server.url)
    first = run_text_audit(plan).to_dict()
    second = run_text_audit(plan).to_dict()
    assert len(server.requests) == 1
    run = second["probes"]["text_audit"]["runs"][0]
    assert run["cached"] == len(ROWS)
    assert run["called"] == 0
    assert first["findings"][0]["effect"] == second["findings"][0]["effect"]


def test_empty_text_reported_and_excluded(tmp_path, model_server):
    server = model_server()
    rows = [*ROWS, ("   ", "joy", "f", "en-US")]
    findings = run_text_audit(write_plan(tmp_path, server.url, rows=rows)).to_dict()
    warning = warning_codes(findings)["empty_text"]
    assert warning["count"] == 1
    assert warning["items"] == ["line 10"]
    assert "not sent to the model" in warning["message"]
    assert findings["probes"]["text_audit"]["rows_excluded"] == 1
    assert findings["audit"]["n_rows"] == len(ROWS)
    assert "   " not in server.requests[0]["texts"]


def test_truncated_texts_counted(tmp_path, model_server):
    server = model_server()
    model = http_model(
        server.url,
        max_chars=20,
        labels=["anger", "joy", "neutral"],
        label_mapping={"escalate": "anger", "no_escalate": "joy"},
    )
    findings = run_text_audit(write_plan(tmp_path, server.url, model=model)).to_dict()
    long_texts = sum(len(row[0]) > 20 for row in ROWS)
    warning = warning_codes(findings)["truncated_text"]
    assert warning["count"] == long_texts
    assert "truncated before scoring" in warning["message"]
    assert max(len(text) for text in server.requests[0]["texts"]) == 20


@pytest.mark.parametrize(
    ("respond", "expected"),
    [
        (
            lambda body: {"predictions": keyword_model(body["texts"])["predictions"][:-1]},
            "outputs for",
        ),
        (lambda body: b"{not json", "JSON"),
        (lambda body: None, "connection failed or was closed"),
    ],
    ids=["wrong_count", "malformed_json", "closed_connection"],
)
def test_failed_calls_reported_not_dropped_silently(tmp_path, model_server, respond, expected):
    failing = model_server(respond)
    working = model_server()
    raw_plan = write_plan(tmp_path, failing.url)
    plan = raw_plan.model_copy(deep=True)
    plan.runs[0].model = plan.runs[0].model.model_copy(update={"batch_size": 4})
    extra = plan.runs[0].model_copy(deep=True)
    extra.name = "working"
    extra.model = extra.model.model_copy(update={"url": working.url})
    plan.runs.append(extra)
    plan.hypotheses[0].runs = ["working"]
    findings = run_text_audit(plan).to_dict()
    warning = warning_codes(findings)["prediction_failed"]
    assert warning["run"] == "service"
    assert warning["count"] == len(ROWS)
    assert expected in warning["message"]
    assert "left out of every metric" in warning["message"]
    runs = {run["name"]: run for run in findings["probes"]["text_audit"]["runs"]}
    assert runs["service"]["scored"] == 0
    assert runs["working"]["scored"] == len(ROWS)
    assert findings["probes"]["text_audit"]["rows_excluded"] == len(ROWS)
    assert findings["probes"]["text_audit"]["excluded"][0]["status"] == "error"


def test_every_call_failing_stops(tmp_path, model_server):
    server = model_server(lambda body: b"{not json")
    with pytest.raises(DataError, match="No text of any run got a prediction"):
        run_text_audit(write_plan(tmp_path, server.url))


def test_unparseable_labels_reported(tmp_path, model_server):
    def respond(body):
        reply = keyword_model(body["texts"])
        reply["predictions"][0]["label"] = "maybe"
        return reply

    server = model_server(respond)
    findings = run_text_audit(write_plan(tmp_path, server.url)).to_dict()
    warning = warning_codes(findings)["unparseable_output"]
    assert warning["count"] == 1
    assert "'maybe'" in warning["message"]


def test_unknown_run_locale(tmp_path, model_server):
    server = model_server()
    plan = write_plan(tmp_path, server.url)
    plan.runs[0].locales = ["fi-FI"]
    with pytest.raises(DataError, match=r"locales \['fi-FI'\], which no text has"):
        run_text_audit(plan)


def test_corpus_label_outside_set(tmp_path, model_server):
    server = model_server()
    rows = [*ROWS, ("Meh", "bored", "m", "en-US")]
    with pytest.raises(DataError, match=r"outside data.labels .*\['bored'\] \(lines 10\)"):
        run_text_audit(write_plan(tmp_path, server.url, rows=rows))


def test_writer_reader_gaps():
    import pandas as pd

    intensities = pd.DataFrame(
        {
            "writer_anger": [3, 2, 0, 1],
            "readers_anger": [0.333, 2.0, 0.0, 0.0],
            "writer_joy": [0, 0, 1, 0],
            "readers_joy": [0.0, 0.0, 1.0, 0.0],
        }
    )
    result = writer_reader_gaps(
        intensities, level=0.95, replicates=200, seed=0, multiple_testing="benjamini-hochberg"
    )
    anger = next(entry for entry in result["by_emotion"] if entry["emotion"] == "anger")
    assert result["largest_gap"] == "anger"
    assert anger["writer_mean"] == pytest.approx(1.5)
    assert anger["writer_minus_readers"]["value"] == pytest.approx((2.667 + 0 + 0 + 1) / 4)
    assert anger["felt_by_writer"] == 3
    assert anger["missed_by_readers"]["value"] == pytest.approx(2 / 3)
    joy = next(entry for entry in result["by_emotion"] if entry["emotion"] == "joy")
    assert joy["test"]["reason"] == "every score difference is zero"


def test_findings_json_has_no_nan(tmp_path, model_server):
    server = model_server()
    result = run_text_audit(write_plan(tmp_path, server.url))
    json.dumps(result.to_dict(), allow_nan=False)


def test_corpus_without_groups_stops(tmp_path, model_server):
    server = model_server()
    rows = [(text, label, "f", "en-US") for text, label, _, _ in ROWS]
    plan = write_plan(tmp_path, server.url, rows=rows)
    with pytest.raises(DataError, match="'gender', which has the single value"):
        run_text_audit(plan)
    plan.hypotheses = []
    with pytest.raises(DataError, match="Nothing could be audited by group"):
        run_text_audit(plan)
