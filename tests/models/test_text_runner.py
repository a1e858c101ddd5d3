"""Tests of predict_texts: caching, resuming, failures and per-text status."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from equilens.errors import DataError, ModelError
from equilens.models import Predictor
from equilens.models.text import TextModel, TextPrediction, predict_texts
from equilens.store import PredictionCache


class CountingModel(TextModel):
    """Labels a text 'long' or 'short' and records every text it is asked about."""

    kind = "counting"
    has_scores = True
    labels = ("long", "short")

    def __init__(self, *, batch_size: int = 2, max_concurrency: int = 1) -> None:
        self.id = "counting:1"
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.seen: list[str] = []
        self.fail_on: set[str] = set()
        self.interrupt_on: set[str] = set()

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        self.seen.extend(texts)
        if self.interrupt_on.intersection(texts):
            raise KeyboardInterrupt
        if self.fail_on.intersection(texts):
            raise ModelError("server returned HTTP 503 after 5 attempts")
        return [
            TextPrediction("ok", label="long" if len(text) > 3 else "short", score=float(len(text)))
            for text in texts
        ]


class ArrayPredictor:
    """A plain Predictor that returns NumPy arrays and no predict_batch."""

    id = "array:1"
    kind = "array"
    batch_size = 3
    max_concurrency = 1

    def __init__(self, *, drop_one: bool = False) -> None:
        self.drop_one = drop_one

    def predict(self, batch: Sequence[str]) -> np.ndarray:
        labels = np.array([len(text) % 2 for text in batch], dtype=np.int64)
        return labels[:-1] if self.drop_one else labels

    def score(self, batch: Sequence[str]) -> np.ndarray | None:
        return np.array([len(text) / 10 for text in batch])


def test_runner_labels_scores_and_counts():
    model = CountingModel()

    result = predict_texts(model, ["a", "abcd", "ab"])

    assert result.labels.tolist() == ["short", "long", "short"]
    assert result.scores.tolist() == [1.0, 4.0, 2.0]
    assert result.status.tolist() == ["ok", "ok", "ok"]
    assert result.counts.total == 3
    assert result.counts.called == 3
    assert result.counts.cached == 0


def test_runner_repeat_uses_cache(tmp_path):
    texts = ["a", "abcd", "ab", "abcde"]
    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        first = predict_texts(CountingModel(), texts, cache=cache)
        model = CountingModel()
        second = predict_texts(model, texts, cache=cache)

    assert model.seen == []
    assert second.counts.cached == 4
    assert second.counts.called == 0
    assert second.labels.tolist() == first.labels.tolist()
    assert second.scores.tolist() == first.scores.tolist()


def test_runner_resumes_after_interrupt(tmp_path):
    texts = ["t1", "t2", "t3", "t4", "t5", "t6"]
    path = tmp_path / "cache.duckdb"
    model = CountingModel(batch_size=2)
    model.interrupt_on = {"t5"}

    with PredictionCache(path) as cache, pytest.raises(KeyboardInterrupt):
        predict_texts(model, texts, cache=cache)

    resumed = CountingModel(batch_size=2)
    with PredictionCache(path) as cache:
        result = predict_texts(resumed, texts, cache=cache)

    assert resumed.seen == ["t5", "t6"]
    assert result.counts.cached == 4
    assert result.status.tolist() == ["ok"] * 6


def test_runner_failed_batch_recorded_and_retried_later(tmp_path, caplog):
    texts = ["t1", "t2", "t3", "t4"]
    model = CountingModel(batch_size=2)
    model.fail_on = {"t3"}

    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        with caplog.at_level(logging.WARNING):
            result = predict_texts(model, texts, cache=cache)
        again = CountingModel(batch_size=2)
        retried = predict_texts(again, texts, cache=cache)

    assert result.status.tolist() == ["ok", "ok", "error", "error"]
    assert result.messages[2] == "server returned HTTP 503 after 5 attempts"
    assert result.labels.tolist() == ["short", "short", None, None]
    assert np.isnan(result.scores[2])
    assert result.counts.failed == 2
    assert "A batch of 2 texts failed for model counting:1" in caplog.text
    assert again.seen == ["t3", "t4"]
    assert retried.status.tolist() == ["ok"] * 4


def test_runner_unexpected_exception_is_error_status():
    class Broken(CountingModel):
        def predict_batch(self, texts):
            raise RuntimeError("CUDA out of memory")

    result = predict_texts(Broken(), ["a"])

    assert result.status.tolist() == ["error"]
    assert result.messages[0] == "RuntimeError: CUDA out of memory"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty or whitespace only"),
        ("  \n\t", "is empty or whitespace only"),
        (None, "is missing"),
        (float("nan"), "is missing"),
        (pd.NA, "is missing"),
        (42, "is a int, not a string: 42"),
    ],
)
def test_runner_invalid_text_is_error_row(text, problem, caplog):
    model = CountingModel()

    with caplog.at_level(logging.WARNING):
        result = predict_texts(model, ["ok text", text, "more"])

    assert result.status.tolist() == ["ok", "error", "ok"]
    assert result.messages[1].startswith(f"Text at row 1 {problem}; it was not sent to the model")
    assert "Remove the row or fill in its text" in result.messages[1]
    assert model.seen == ["ok text", "more"]
    assert result.counts.failed == 1
    assert result.counts.total == 3
    assert "1 texts are missing, empty or whitespace only (rows 1)" in caplog.text


def test_runner_duplicates_sent_once():
    model = CountingModel()

    result = predict_texts(model, ["same", "same", "other", "same"])

    assert model.seen == ["same", "other"]
    assert result.labels.tolist() == ["long", "long", "long", "long"]
    assert result.counts.called == 4


def test_runner_progress_reaches_total(tmp_path):
    calls: list[tuple[int, int]] = []
    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        predict_texts(CountingModel(), ["a", "b"], cache=cache)
        predict_texts(
            CountingModel(batch_size=2),
            ["a", "b", "c", "d", ""],
            cache=cache,
            progress=lambda done, total: calls.append((done, total)),
        )

    assert calls == [(3, 5), (5, 5)]


def test_runner_concurrent_batches_all_recorded(tmp_path):
    texts = [f"text {index}" for index in range(50)]
    model = CountingModel(batch_size=3, max_concurrency=4)

    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        result = predict_texts(model, texts, cache=cache)
        stored = cache.count(model.id)

    assert sorted(model.seen) == sorted(texts)
    assert result.status.tolist() == ["ok"] * 50
    assert result.scores.tolist() == [float(len(text)) for text in texts]
    assert stored == 50


def test_runner_plain_predictor(tmp_path):
    model = ArrayPredictor()
    assert isinstance(model, Predictor)

    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        first = predict_texts(model, ["a", "ab", "abc", "abcd"], cache=cache)
        second = predict_texts(model, ["a", "ab", "abc", "abcd"], cache=cache)

    assert first.labels.tolist() == [1, 0, 1, 0]
    assert type(first.labels[0]) is int
    assert second.labels.tolist() == first.labels.tolist()
    assert first.scores.tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert second.counts.cached == 4


def test_runner_wrong_output_count_is_error():
    result = predict_texts(ArrayPredictor(drop_one=True), ["a", "ab", "abc"])

    assert result.status.tolist() == ["error"] * 3
    assert "returned 2 outputs for 3 inputs" in result.messages[0]


def test_runner_wrong_prediction_count_is_error():
    class Short(CountingModel):
        def predict_batch(self, texts):
            return super().predict_batch(texts)[:-1]

    result = predict_texts(Short(), ["a", "b"])

    assert result.status.tolist() == ["error", "error"]
    assert "returned 1 outputs for 2 inputs" in result.messages[0]


def test_runner_to_frame_and_repr():
    result = predict_texts(CountingModel(), ["a", ""])

    frame = result.to_frame()

    assert list(frame.columns) == ["label", "score", "status", "message", "truncated"]
    assert frame["status"].tolist() == ["ok", "error"]
    assert frame["label"].tolist()[0] == "short"
    assert repr(result).startswith("TextPredictions(model_id='counting:1', counts=TextCounts(")
    assert len(result) == 2


def test_runner_truncated_counted_from_cache(tmp_path):
    class Truncating(CountingModel):
        def predict_batch(self, texts):
            return [TextPrediction("ok", label="long", truncated=True) for _ in texts]

    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        first = predict_texts(Truncating(), ["a"], cache=cache)
        second = predict_texts(Truncating(), ["a"], cache=cache)

    assert first.counts.truncated == 1
    assert second.counts.truncated == 1
    assert second.truncated.tolist() == [True]


def test_text_model_predict_raises_on_error():
    class PerText(CountingModel):
        def predict_batch(self, texts):
            return [
                TextPrediction("ok", label="short"),
                TextPrediction("error", message="timed out"),
            ]

    with pytest.raises(ModelError, match=r"failed for 1 of 2 texts; first failure \(index 1\)"):
        PerText().predict(["a", "b"])


def test_text_model_score_nan_for_unparseable():
    class PerText(CountingModel):
        def predict_batch(self, texts):
            return [TextPrediction("ok", label="short", score=0.5), TextPrediction("unparseable")]

    model = PerText()

    assert model.predict(["a", "b"]).tolist() == ["short", None]
    assert model.score(["a", "b"]).tolist()[0] == 0.5
    assert np.isnan(model.score(["a", "b"])[1])


def test_text_model_predict_rejects_blank_text():
    with pytest.raises(DataError, match="Text at index 1 of the batch is empty"):
        CountingModel().predict(["a", " "])
