"""A chat model behind an OpenAI-compatible ``/chat/completions`` endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from equilens.errors import ModelError
from equilens.models.text._base import (
    RUNTIME_FIELDS,
    TextModel,
    TextPrediction,
    TruncationLog,
    stable_model_id,
)
from equilens.models.text._http import HttpSession, HttpSettings, check_http_url, truncate_texts

_MAX_MESSAGE_CHARS = 500


class OpenAIChatConfig(HttpSettings):
    """Settings of a chat model that classifies each text from a prompt.

    Parameters
    ----------
    kind : {"openai_chat"}
        Adapter name.
    base_url : str
        API base URL, e.g. ``"http://127.0.0.1:8000/v1"``. Requests go to
        ``<base_url>/chat/completions``; a URL that already ends in ``/chat/completions``
        is used as it is.
    model : str
        Model name sent in each request.
    prompt_template : str
        User message; ``{text}`` is replaced by the text and ``{labels}`` by the labels
        joined with ", ". No other braces are interpreted.
    system_prompt : str, optional
        System message sent before the prompt.
    labels : list of str
        The label set. `parse_label` reads the label from the model's reply. A reply that
        names no label is ``"unparseable"`` and is never mapped to a label by guessing.
    temperature : float
        Sampling temperature; 0 makes replies as repeatable as the server allows.
    max_tokens : int
        Maximum tokens in a reply.
    seed : int, optional
        Sampling seed, for servers that accept one.
    batch_size : int
        Texts per batch; each text is one request, sent one after another in a batch.
    """

    kind: Literal["openai_chat"] = "openai_chat"
    base_url: str
    model: str = Field(min_length=1)
    prompt_template: str
    system_prompt: str | None = None
    labels: list[str] = Field(min_length=1)
    temperature: float = Field(default=0.0, ge=0)
    max_tokens: int = Field(default=64, ge=1)
    seed: int | None = None
    batch_size: int = Field(default=8, ge=1)

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        return check_http_url(url, field="base_url")

    @field_validator("prompt_template")
    @classmethod
    def _check_prompt(cls, template: str) -> str:
        if "{text}" not in template:
            raise ValueError(
                f"prompt_template must contain the placeholder '{{text}}'; got {template!r}"
            )
        return template

    @model_validator(mode="after")
    def _check_labels(self) -> OpenAIChatConfig:
        folded: dict[str, str] = {}
        for label in self.labels:
            if not label.strip() or label != label.strip() or "\n" in label:
                raise ValueError(
                    f"label {label!r} must be non-empty, on one line and without leading or "
                    "trailing spaces"
                )
            if label.casefold() in folded:
                raise ValueError(
                    f"labels {folded[label.casefold()]!r} and {label!r} differ only in case, "
                    "so a reply cannot tell them apart; rename one"
                )
            folded[label.casefold()] = label
        return self

    @property
    def endpoint(self) -> str:
        """The URL that receives the requests."""
        base = self.base_url.rstrip("/")
        if base.endswith("/chat/completions"):
            return base
        return base + "/chat/completions"


def parse_label(reply: str, labels: Sequence[str]) -> str | None:
    """Return the label that a chat reply names, or None when it names none.

    A reply names a label when, ignoring case and surrounding whitespace, the whole
    reply or its first line equals the label. Nothing else counts: no punctuation is
    stripped and no label is searched for inside a sentence.

    Examples
    --------
    >>> parse_label("Escalate\\nThe customer threatens to leave.", ["escalate", "keep"])
    'escalate'
    >>> parse_label("I would escalate this.", ["escalate", "keep"]) is None
    True
    """
    by_casefold = {label.casefold(): label for label in labels}
    stripped = reply.strip()
    candidates = [stripped, stripped.split("\n", 1)[0].strip()]
    for candidate in candidates:
        label = by_casefold.get(candidate.casefold())
        if label is not None:
            return label
    return None


class OpenAIChatModel(TextModel):
    """A chat model queried through an OpenAI-compatible API (see `OpenAIChatConfig`)."""

    kind = "openai_chat"
    has_scores = False

    def __init__(self, config: OpenAIChatConfig) -> None:
        self.config = config
        self.batch_size = config.batch_size
        self.max_concurrency = config.max_concurrency
        self.labels = tuple(config.labels)
        identity = config.model_dump(mode="json", exclude=RUNTIME_FIELDS | {"base_url"})
        identity["endpoint"] = config.endpoint
        self.id = stable_model_id(self.kind, identity)
        self._session = HttpSession(config, model_id=self.id)
        self._truncation_log = TruncationLog(self.id, f"{config.max_chars} characters")

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Send each text to the chat model and parse its reply against the label set.

        A failed request gives that text the status ``"error"``; the other texts go on.
        """
        sent, truncated = truncate_texts(texts, self.config.max_chars)
        self._truncation_log.record(sum(truncated))

        predictions = []
        for text, cut in zip(sent, truncated, strict=True):
            try:
                content = self._ask(text)
            except ModelError as error:
                predictions.append(TextPrediction("error", message=str(error), truncated=cut))
                continue
            label = parse_label(content, self.labels)
            if label is None:
                message = self._session.redact(content[:_MAX_MESSAGE_CHARS])
                predictions.append(TextPrediction("unparseable", message=message, truncated=cut))
            else:
                predictions.append(TextPrediction("ok", label=label, truncated=cut))
        return predictions

    def _ask(self, text: str) -> str:
        prompt = self.config.prompt_template.replace("{labels}", ", ".join(self.labels))
        prompt = prompt.replace("{text}", text)
        messages = []
        if self.config.system_prompt is not None:
            messages.append({"role": "system", "content": self.config.system_prompt})
        messages.append({"role": "user", "content": prompt})
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if self.config.seed is not None:
            body["seed"] = self.config.seed

        response = self._session.post_json(self.config.endpoint, body)
        try:
            content = response["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            response_start = self._session.redact(repr(response)[:200])
            raise ModelError(
                f"The chat response of model {self.id!r} has no text at "
                f"choices[0].message.content; the response starts with {response_start}. "
                "Check that base_url points to an OpenAI-compatible /chat/completions endpoint."
            )
        return content

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._session.close()
