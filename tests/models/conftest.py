"""Fixtures for the model tests: a scripted HTTP server on 127.0.0.1 and recorded waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mock_http import API_KEY, API_KEY_ENV, MockServer

from equilens.models.text import _http


@pytest.fixture
def server() -> Iterator[MockServer]:
    mock = MockServer().start()
    yield mock
    mock.stop()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # Requests must go straight to 127.0.0.1, never through a proxy from the environment.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry waits in seconds, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(_http, "_sleep", recorded.append)
    return recorded


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The test API key, set in the environment variable API_KEY_ENV."""
    monkeypatch.setenv(API_KEY_ENV, API_KEY)
    return API_KEY
