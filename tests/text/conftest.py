"""Fixtures for the text audit tests: a scripted JSON model server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from equilens.models.text import _http

NEGATIVE_WORDS = ("unacceptable", "awful", "dangerous", "burned", "lost")


def keyword_model(texts: list[str]) -> dict[str, Any]:
    """Escalate a text that contains a negative keyword; the score is a probability."""
    predictions = []
    for text in texts:
        hits = sum(word in text.lower() for word in NEGATIVE_WORDS)
        predictions.append(
            {"label": "escalate" if hits else "no_escalate", "score": min(0.2 + 0.3 * hits, 0.95)}
        )
    return {"predictions": predictions}


class ModelServer:
    """An HTTP server on 127.0.0.1 that replies to POST requests with `respond(body)`.

    `respond` returns a JSON-ready object, or bytes to send as they are, or None to
    close the connection without a reply. Every request body is kept in `requests`.
    """

    def __init__(self, respond: Callable[[Any], Any]) -> None:
        self.respond = respond
        self.requests: list[Any] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                server.requests.append(body)
                reply = server.respond(body)
                if reply is None:
                    self.close_connection = True
                    return
                payload = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,))
        self._thread.daemon = True
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/predict"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def model_server() -> Iterator[Callable[[Callable[[Any], Any]], ModelServer]]:
    """Start model servers with a given responder; all are stopped after the test."""
    started: list[ModelServer] = []

    def start(respond: Callable[[Any], Any] = lambda body: keyword_model(body["texts"])):
        server = ModelServer(respond)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _direct_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    # Requests must go straight to 127.0.0.1, never through a proxy from the environment,
    # and retries must not sleep.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setattr(_http, "_sleep", lambda seconds: None)


def http_model(url: str, **settings: Any) -> dict[str, Any]:
    """Return an http_json model configuration for the keyword model server."""
    return {
        "kind": "http_json",
        "url": url,
        "request_template": {"texts": "{texts}"},
        "label_path": "predictions.*.label",
        "score_path": "predictions.*.score",
        "labels": ["escalate", "no_escalate"],
        "max_retries": 1,
        "backoff_base": 0,
        "timeout": 5,
        **settings,
    }
