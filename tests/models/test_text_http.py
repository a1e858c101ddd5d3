"""Unit tests of the HTTP helpers: Retry-After parsing, URL display, templates, labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from equilens.models.text import parse_label, retry_after_seconds
from equilens.models.text._http import display_url
from equilens.models.text._http_json import _fill_template

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 2 ", 2.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:59:00 GMT", 0.0),
        ("Sunday, 01-Mar-26 12:01:00 GMT", 60.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds_forms(header, expected):
    assert retry_after_seconds(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/v1/chat", "http://127.0.0.1:8000/v1/chat"),
        ("https://user:pw@example.test/path?key=abc#frag", "https://example.test/path"),
    ],
)
def test_display_url_drops_credentials(url, expected):
    assert display_url(url) == expected


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_fill_template_batch_keeps_texts(texts):
    template = {"inputs": "{texts}", "meta": ["{texts}-not-a-placeholder", 3]}

    body = json.loads(json.dumps(_fill_template(template, texts, batch=True)))

    assert body["inputs"] == texts
    assert body["meta"] == ["{texts}-not-a-placeholder", 3]


@given(st.text())
def test_fill_template_text_keeps_text(text):
    template = {"messages": [{"content": "Classify: {text}"}], "n": 1}

    body = json.loads(json.dumps(_fill_template(template, text, batch=False)))

    assert body["messages"][0]["content"] == "Classify: " + text
    assert body["n"] == 1


@given(
    label=st.sampled_from(["escalate", "no_escalate", "Angry"]),
    before=st.sampled_from(["", " ", "\n", "\t "]),
    after=st.sampled_from(["", " ", "\n", "\nBecause the customer is upset."]),
    upper=st.booleans(),
)
def test_parse_label_accepts_label_alone(label, before, after, upper):
    labels = ["escalate", "no_escalate", "Angry"]
    reply = before + (label.upper() if upper else label) + after

    assert parse_label(reply, labels) == label


@given(prefix=st.text(min_size=1).filter(lambda text: "\n" not in text and text.strip() != ""))
def test_parse_label_rejects_extra_words(prefix):
    reply = f"{prefix} escalate"

    assert parse_label(reply, ["escalate", "no_escalate"]) is None
