"""Tests of the OpenAI-compatible chat adapter against a mock server on 127.0.0.1."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mock_http import API_KEY_ENV, RecordedRequest, Reply
from pydantic import ValidationError

from equilens.models.text import OpenAIChatConfig, build_text_model, parse_label, predict_texts
from equilens.store import PredictionCache

LABELS = ["escalate", "no_escalate"]


def completion(content: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
    }


def reply_from_prompt(replies: dict[str, str]) -> Any:
    """Return a handler that replies with replies[text] for the text in the prompt."""

    def handler(request: RecordedRequest) -> Reply:
        prompt = request.body["messages"][-1]["content"]
        text = prompt.rsplit("Text: ", 1)[1]
        return Reply(body=completion(replies[text]))

    return handler


def make_config(server_url: str, **overrides: Any) -> OpenAIChatConfig:
    settings: dict[str, Any] = {
        "base_url": server_url + "/v1",
        "model": "tiny-chat",
        "prompt_template": "Answer with one of: {labels}.\nText: {text}",
        "labels": LABELS,
        "batch_size": 2,
        "max_concurrency": 1,
        "max_retries": 2,
        "backoff_base": 0.01,
    }
    settings.update(overrides)
    return OpenAIChatConfig(**settings)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("escalate", "escalate"),
        ("ESCALATE", "escalate"),
        ("  no_escalate \n", "no_escalate"),
        ("Escalate\nThe customer threatens to cancel.", "escalate"),
        ("\nescalate", "escalate"),
        ("escalate.", None),
        ("I would escalate this.", None),
        ("escalate or no_escalate", None),
        ("Label: escalate", None),
        ("", None),
        ("The answer is\nescalate", None),
    ],
)
def test_parse_label_cases(reply, expected):
    assert parse_label(reply, LABELS) == expected


def test_openai_chat_request_and_labels(server, api_key):
    server.handler = reply_from_prompt({"refund now": "Escalate", "thanks": "no_escalate"})
    model = build_text_model(
        make_config(server.url, api_key_env=API_KEY_ENV, system_prompt="You triage complaints.")
    )

    result = predict_texts(model, ["refund now", "thanks"])

    assert result.labels.tolist() == ["escalate", "no_escalate"]
    assert result.scores is None
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {api_key}"
    assert request.body["model"] == "tiny-chat"
    assert request.body["temperature"] == 0
    assert request.body["messages"] == [
        {"role": "system", "content": "You triage complaints."},
        {"role": "user", "content": "Answer with one of: escalate, no_escalate.\nText: refund now"},
    ]


def test_openai_chat_full_endpoint_url(server):
    server.handler = lambda request: Reply(body=completion("escalate"))
    model = build_text_model(make_config(server.url, base_url=server.url + "/v1/chat/completions/"))

    predict_texts(model, ["a"])

    assert server.requests[0].path == "/v1/chat/completions"


def test_openai_chat_text_with_braces_kept(server):
    server.handler = reply_from_prompt({"{labels} and {text}": "escalate"})
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["{labels} and {text}"])

    assert result.labels.tolist() == ["escalate"]


def test_openai_chat_unparseable_counted_and_cached(server, tmp_path, caplog):
    server.handler = reply_from_prompt({"a": "escalate", "b": "Probably escalate.", "c": "maybe"})
    texts = ["a", "b", "c"]

    with PredictionCache(tmp_path / "cache.duckdb") as cache:
        with caplog.at_level(logging.WARNING):
            first = predict_texts(build_text_model(make_config(server.url)), texts, cache=cache)
        requests_after_first = len(server.requests)
        second = predict_texts(build_text_model(make_config(server.url)), texts, cache=cache)

    assert first.status.tolist() == ["ok", "unparseable", "unparseable"]
    assert first.labels.tolist() == ["escalate", None, None]
    assert first.messages.tolist() == ["", "Probably escalate.", "maybe"]
    assert first.counts.unparseable == 2
    assert "2 outputs of model" in caplog.text
    assert len(server.requests) == requests_after_first
    assert second.counts.cached == 3
    assert second.status.tolist() == first.status.tolist()
    assert second.messages.tolist() == first.messages.tolist()


def test_openai_chat_malformed_response_is_error(server):
    server.queue = [Reply(body={"error": "model overloaded"})]
    server.handler = lambda request: Reply(body=completion("escalate"))
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a", "b"])

    assert result.status.tolist() == ["error", "ok"]
    assert "no text at choices[0].message.content" in result.messages[0]


def test_openai_chat_null_content_is_error(server):
    server.handler = lambda request: Reply(body=completion(None))
    model = build_text_model(make_config(server.url))

    result = predict_texts(model, ["a"])

    assert result.status.tolist() == ["error"]


def test_openai_chat_one_text_fails_others_go_on(server, waits, caplog):
    server.queue = [Reply(status=503, body={}) for _ in range(3)]
    server.handler = lambda request: Reply(body=completion("no_escalate"))
    model = build_text_model(make_config(server.url))

    with caplog.at_level(logging.WARNING):
        result = predict_texts(model, ["a", "b", "c"])

    assert result.status.tolist() == ["error", "ok", "ok"]
    assert "failed after 3 attempts" in result.messages[0]
    assert "1 of 2 texts in a batch failed" in caplog.text


def test_openai_chat_key_in_reply_redacted(server, api_key, tmp_path):
    server.handler = lambda request: Reply(
        body=completion(f"Your header was {request.headers['Authorization']}")
    )
    cache_path = tmp_path / "cache.duckdb"
    model = build_text_model(make_config(server.url, api_key_env=API_KEY_ENV))

    with PredictionCache(cache_path) as cache:
        result = predict_texts(model, ["a"], cache=cache)

    assert result.messages.tolist() == ["Your header was Bearer ***"]
    assert api_key not in cache_path.read_bytes().decode("latin-1")


def test_openai_chat_concurrent_batches(server):
    def slow(request: RecordedRequest) -> Reply:
        return Reply(body=completion("escalate"), delay=0.05)

    server.handler = slow
    model = build_text_model(make_config(server.url, batch_size=1, max_concurrency=4))

    result = predict_texts(model, [f"text {index}" for index in range(12)])

    assert result.status.tolist() == ["ok"] * 12
    assert server.max_in_flight > 1
    assert server.max_in_flight <= 4


def test_openai_chat_id_covers_prompt_and_model(server):
    base = build_text_model(make_config(server.url))
    same = build_text_model(make_config(server.url, batch_size=9, timeout=3))
    other_prompt = build_text_model(make_config(server.url, prompt_template="Label: {text}"))
    other_model = build_text_model(make_config(server.url, model="bigger-chat"))

    assert base.id == same.id
    assert base.id != other_prompt.id
    assert base.id != other_model.id


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"prompt_template": "Classify this."}, "must contain the placeholder"),
        ({"labels": ["Escalate", "escalate"]}, "differ only in case"),
        ({"labels": ["escalate", " keep"]}, "without leading or trailing spaces"),
        ({"labels": ["two\nlines"]}, "on one line"),
        ({"temperature": -1}, "greater than or equal to 0"),
        ({"base_url": "127.0.0.1:8000/v1"}, "is not an http:// or https:// URL"),
    ],
)
def test_openai_chat_config_rejects(server, overrides, expected):
    with pytest.raises(ValidationError, match=expected):
        make_config(server.url, **overrides)
