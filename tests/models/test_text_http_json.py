"""Tests of the HTTP JSON adapter against a mock server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any

import pytest
from mock_http import API_KEY, API_KEY_ENV, RecordedRequest, Reply

from equilens.errors import ModelError, PlanError
from equilens.models.text import (
    HttpJsonConfig,
    _http,
    build_text_model,
    predict_texts,
)
from equilens.store import PredictionCache

LABELS = ["escalate", "no_escalate"]


def classify(request: RecordedRequest) -> Reply:
    """Label a text 'escalate' when it contains 'refund'; echo whether the key arrived."""
    texts = request.body["inputs"]
    key_ok = request.headers.get("Authorization") == f"Bearer {API_KEY}"
    predictions = [
        {"label": "escalate" if "refund" in text else "no_escalate", "score": len(text) / 100}
        for text in texts
    ]
    return Reply(body={"predictions": predictions, "key_ok": key_ok})


def make_config(base_url: str, **overrides: Any) -> HttpJsonConfig:
    settings: dict[str, Any] = {
        "url": base_url + "/classify",
        "request_template": {"inputs": "{texts}", "options": {"top_k": 1}},
        "label_path": "predictions.*.label",
        "score_path": "predictions.*.score",
        "labels": LABELS,
        "batch_size": 2,
        "max_concurrency": 1,
        "max_retries": 3,
        "backoff_base": 0.01,
    }
    settings.update(overrides)
    return HttpJsonConfig(**settings)


def test_http_json_batch_labels_and_scores(server, api_key, waits):
    server.handler = classify
    model = build_text_model(make_config(server.url, api_key_env=API_KEY_ENV))

    result = predict_texts(model, ["I want a refund", "thanks", "refund now"])

    assert result.labels.tolist() == ["escalate", "no_escalate", "escalate"]
    assert result.scores.tolist() == pytest.approx([0.15, 0.06, 0.10])
    assert result.status.tolist() == ["ok", "ok", "ok"]
    assert len(server.requests) == 2
    assert server.requests[0].body == {
        "inputs": ["I want a refund", "thanks"],
        "options": {"top_k": 1},
    }
    assert server.requests[0].headers["Authorization"] == f"Bearer {api_key}"


def test_http_json_one_request_per_text(server):
    server.handler = lambda request: Reply(
        body={"result": {"label": "escalate" if "refund" in request.body["prompt"] else 0}}
    )
    config = make_config(
        server.url,
        request_template={"prompt": "Classify: {text}", "n": 1},
        label_path="result.label",
        score_path=None,
        label_mapping={0: "no_escalate"},
    )
    model = build_text_model(config)

    result = predict_texts(model, ["refund please", "all good"])

    assert result.labels.tolist() == ["escalate", "no_escalate"]
    assert result.scores is None
    assert [request.body["prompt"] for request in server.requests] == [
        "Classify: refund please",
        "Classify: all good",
    ]


def test_http_json_label_outside_set_unparseable(server):
    server.handler = lambda request: Reply(
        body={"predictions": [{"label": "escalte", "score": 0.5} for _ in request.body["inputs"]]}
    )
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a", "b"])

    assert result.status.tolist() == ["unparseable", "unparseable"]
    assert result.counts.unparseable == 2
    assert "'escalte' is not one of ['escalate', 'no_escalate']" in result.messages[0]
    assert "Did you mean 'escalate'" in result.messages[0]
    assert result.labels.tolist() == [None, None]


def test_http_json_non_numeric_score_unparseable(server):
    server.handler = lambda request: Reply(
        body={
            "predictions": [{"label": "escalate", "score": "high"} for _ in request.body["inputs"]]
        }
    )
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a"])

    assert result.status.tolist() == ["unparseable"]
    assert "score 'high' is not a number" in result.messages[0]


def test_http_json_wrong_output_count_is_error(server):
    server.handler = lambda request: Reply(
        body={"predictions": [{"label": "escalate", "score": 1.0}]}
    )
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a", "b"])

    assert result.status.tolist() == ["error", "error"]
    assert "returned 1 outputs for 2 inputs" in result.messages[0]


def test_http_json_missing_response_field_is_error(server):
    server.handler = lambda request: Reply(body={"preds": []})
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a"])

    assert result.status.tolist() == ["error"]
    assert "label_path 'predictions.*.label'" in result.messages[0]
    assert "no field 'predictions'" in result.messages[0]


def test_http_json_malformed_json_is_error(server, waits):
    server.handler = lambda request: Reply(raw=b'{"predictions": [')
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a", "b"])

    assert result.status.tolist() == ["error", "error"]
    assert "not valid JSON" in result.messages[0]
    assert len(server.requests) == 1
    assert waits == []


def test_http_json_retry_after_seconds(server, waits):
    server.queue = [Reply(status=429, body={}, headers={"Retry-After": "2"})]
    server.handler = classify
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["refund"])

    assert result.status.tolist() == ["ok"]
    assert waits == [2.0]


def test_http_json_retry_after_http_date(server, waits):
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.queue = [Reply(status=429, body={}, headers={"Retry-After": later})]
    server.handler = classify
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["refund"])

    assert result.status.tolist() == ["ok"]
    assert len(waits) == 1
    assert 27 <= waits[0] <= 30


def test_http_json_retry_after_above_max_fails(server, waits):
    server.handler = lambda request: Reply(status=429, body={}, headers={"Retry-After": "3600"})
    model = build_text_model(make_config(server.url, retry_after_max=60))

    result = predict_texts(model, ["a"])

    assert result.status.tolist() == ["error"]
    assert "retry after 3600 s" in result.messages[0]
    assert "retry_after_max=60 s" in result.messages[0]
    assert len(server.requests) == 1
    assert waits == []


def test_http_json_server_error_retried(server, waits):
    server.queue = [Reply(status=500, body={}), Reply(status=503, body={})]
    server.handler = classify
    model = build_text_model(make_config(server.url, backoff_base=0.5))

    result = predict_texts(model, ["refund"])

    assert result.status.tolist() == ["ok"]
    assert waits == [0.5, 1.0]


def test_http_json_retries_run_out(server, waits, caplog):
    server.handler = lambda request: Reply(status=502, body={})
    model = build_text_model(
        make_config(server.url, max_retries=4, backoff_base=1.0, backoff_max=3.0)
    )

    with caplog.at_level(logging.WARNING):
        result = predict_texts(model, ["a", "b"])

    assert result.status.tolist() == ["error", "error"]
    assert "failed after 5 attempts" in result.messages[0]
    assert "HTTP 502" in result.messages[0]
    assert len(server.requests) == 5
    assert waits == [1.0, 2.0, 3.0, 3.0]
    assert caplog.text.count("Retrying POST") == 4


def test_http_json_closed_connection_retried(server, waits):
    server.queue = [Reply(close=True)]
    server.handler = classify
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["refund"])

    assert result.status.tolist() == ["ok"]
    assert len(waits) == 1


def test_http_json_closed_connection_always(server, waits):
    server.handler = lambda request: Reply(close=True)
    model = build_text_model(make_config(server.url, max_retries=1))

    result = predict_texts(model, ["a"])

    assert result.status.tolist() == ["error"]
    assert "connection failed or was closed" in result.messages[0]


def test_http_json_timeout_retried(server, waits):
    server.queue = [Reply(body={}, delay=0.5)]
    server.handler = classify
    model = build_text_model(make_config(server.url, timeout=0.1))

    result = predict_texts(model, ["refund"])

    assert result.status.tolist() == ["ok"]
    assert len(waits) == 1


def test_http_json_client_error_not_retried(server, waits):
    server.handler = lambda request: Reply(status=400, body={"detail": "bad input"})
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a"])

    assert result.status.tolist() == ["error"]
    assert "HTTP 400" in result.messages[0]
    assert "bad input" in result.messages[0]
    assert len(server.requests) == 1


def test_http_json_unauthorized_names_api_key_env(server, api_key):
    server.handler = lambda request: Reply(status=401, body={"error": "invalid key"})
    model = build_text_model(make_config(server.url, api_key_env=API_KEY_ENV))

    result = predict_texts(model, ["a"])

    assert "HTTP 401" in result.messages[0]
    assert "api_key_env" in result.messages[0]


def test_http_json_missing_api_key_env(server, monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)

    with pytest.raises(ModelError, match=f"environment variable '{API_KEY_ENV}'"):
        build_text_model(make_config(server.url, api_key_env=API_KEY_ENV))


def test_http_json_empty_api_key_env(server, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "  ")

    with pytest.raises(ModelError, match="is not set or is empty"):
        build_text_model(make_config(server.url, api_key_env=API_KEY_ENV))


def test_http_json_api_key_never_leaks(server, api_key, waits, tmp_path, caplog):
    def echo_key(request: RecordedRequest) -> Reply:
        # A careless server that repeats the Authorization header in its responses.
        leaked = request.headers.get("Authorization", "")
        if request.body["inputs"][0] == "fail":
            return Reply(status=500, raw=f"internal error for {leaked}".encode())
        if request.body["inputs"][0] == "reject":
            return Reply(status=403, raw=f"forbidden: {leaked}".encode())
        if request.body["inputs"][0] == "odd shape":
            return Reply(body={leaked: "no predictions field"})
        labels = [{"label": f"unknown {leaked}", "score": 0.1} for _ in request.body["inputs"]]
        return Reply(body={"predictions": labels})

    server.handler = echo_key
    cache_path = tmp_path / "cache.duckdb"
    model = build_text_model(
        make_config(server.url, api_key_env=API_KEY_ENV, batch_size=1, max_retries=1)
    )

    with caplog.at_level(logging.DEBUG), PredictionCache(cache_path) as cache:
        result = predict_texts(model, ["fail", "reject", "odd shape", "unknown label"], cache=cache)

    assert result.status.tolist() == ["error", "error", "error", "unparseable"]
    assert all("***" in message for message in result.messages)
    texts_to_search = {
        "messages": " ".join(result.messages),
        "result repr": repr(result),
        "model repr": repr(model),
        "model id": model.id,
        "config repr": repr(model.config),
        "config dump": str(model.config.model_dump()),
        "logs": caplog.text,
        "cache file": cache_path.read_bytes().decode("latin-1"),
    }
    for where, text in texts_to_search.items():
        assert api_key not in text, f"API key found in {where}"


def test_http_json_id_ignores_key_and_runtime_settings(server, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "first-key")
    first = build_text_model(make_config(server.url, api_key_env=API_KEY_ENV))
    monkeypatch.setenv(API_KEY_ENV, "second-key")
    second = build_text_model(
        make_config(server.url, api_key_env=API_KEY_ENV, batch_size=7, max_concurrency=3)
    )
    other_url = build_text_model(make_config(server.url + "/v2"))

    assert first.id == second.id
    assert first.id.startswith("http_json:")
    assert other_url.id != first.id


def test_http_json_url_credentials_hidden(server, waits):
    host = server.url.removeprefix("http://")
    server.handler = lambda request: Reply(status=500, body={})
    model = build_text_model(
        make_config(f"http://user:secret@{host}", max_retries=0, request_template={"x": "{texts}"})
    )

    result = predict_texts(model, ["a"])

    assert "secret" not in result.messages[0]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"request_template": {"inputs": "texts"}}, "must contain the placeholder"),
        ({"request_template": {"a": "{texts}", "b": "{texts}"}}, "must contain the placeholder"),
        ({"request_template": {"a": "{texts}", "b": "{text}"}}, "must contain the placeholder"),
        ({"label_path": "predictions.label"}, "must contain one '*'"),
        ({"score_path": "predictions.*.*.score"}, "must contain one '*'"),
        ({"label_mapping": {"0": "maybe"}}, "not in labels"),
        ({"url": "ftp://127.0.0.1/classify"}, "is not an http:// or https:// URL"),
        ({"api_key_env": "KEY=sk-123"}, "must be the name of an environment variable"),
        ({"labels": []}, "at least 1 item"),
    ],
)
def test_http_json_config_rejects(server, overrides, expected):
    with pytest.raises(ValueError, match=expected):
        make_config(server.url, **overrides)


def test_http_json_config_single_mode_rejects_star(server):
    with pytest.raises(ValueError, match="must contain no '\\*'"):
        make_config(server.url, request_template={"q": "{text}"}, label_path="*.label")


def test_http_json_plan_mapping_error_names_field(server):
    raw = {"kind": "http_json", "url": server.url, "request_template": {"q": "{text}"}}

    with pytest.raises(PlanError) as caught:
        build_text_model(raw)

    assert "model.label_path: required field is missing" in str(caught.value)
    assert "model.labels: required field is missing" in str(caught.value)


def test_http_json_max_chars_truncates(server, caplog):
    server.handler = classify
    model = build_text_model(make_config(server.url, max_chars=5))

    with caplog.at_level(logging.WARNING):
        result = predict_texts(model, ["refund please", "ok"])

    assert server.requests[0].body["inputs"] == ["refun", "ok"]
    assert result.truncated.tolist() == [True, False]
    assert result.counts.truncated == 1
    assert "Truncated 1 texts" in caplog.text
    assert "1 texts were longer than the length limit" in caplog.text


def test_http_json_stops_sending_when_server_down(server, waits):
    server.handler = lambda request: Reply(close=True)
    model = build_text_model(make_config(server.url, max_retries=1, batch_size=1))

    result = predict_texts(model, [f"text {k}" for k in range(8)])

    attempted = [m for m in result.messages if "failed after 2 attempts" in m]
    skipped = [m for m in result.messages if m.startswith("Not sent")]
    assert result.status.tolist() == ["error"] * 8
    assert len(attempted) == _http.UNREACHABLE_LIMIT
    assert len(skipped) == 8 - _http.UNREACHABLE_LIMIT
    assert len(server.requests) == 2 * _http.UNREACHABLE_LIMIT


def test_http_json_success_resets_unreachable_count(server, waits):
    calls = []

    def flaky(request):
        calls.append(request)
        return Reply(close=True) if len(calls) <= 4 else classify(request)

    server.handler = flaky
    model = build_text_model(make_config(server.url, max_retries=1, batch_size=1))

    result = predict_texts(model, [f"text {k}" for k in range(4)])

    assert result.status.tolist() == ["error", "error", "ok", "ok"]
