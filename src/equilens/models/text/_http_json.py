"""A model behind an HTTP endpoint that takes and returns JSON."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from equilens.errors import ModelError, did_you_mean
from equilens.models.base import ensure_output_length
from equilens.models.text._base import (
    RUNTIME_FIELDS,
    TextModel,
    TextPrediction,
    TruncationLog,
    stable_model_id,
)
from equilens.models.text._http import HttpSession, HttpSettings, check_http_url, truncate_texts

BATCH_PLACEHOLDER = "{texts}"
TEXT_PLACEHOLDER = "{text}"


class HttpJsonConfig(HttpSettings):
    """Settings of a model served over HTTP with JSON requests and responses.

    Parameters
    ----------
    kind : {"http_json"}
        Adapter name.
    url : str
        Endpoint that receives a POST request per batch or per text.
    request_template : dict
        JSON request body. A string value that is exactly ``"{texts}"`` is replaced by
        the list of the batch's texts (one request per batch). Otherwise, every
        ``"{text}"`` inside string values is replaced by the text (one request per text).
        The template must use exactly one of the two placeholders.
    label_path : str
        Where the label is in the response: keys and list indexes separated by dots,
        e.g. ``"label"`` or ``"result.0.label"``. For a batch request, one ``*`` stands
        for the list with one item per text, e.g. ``"predictions.*.label"``.
    score_path : str, optional
        Where the score is, in the same form; a higher score must mean the positive label.
    labels : list of str
        The allowed labels, after `label_mapping`. Any other label makes the prediction
        ``"unparseable"``.
    label_mapping : dict of str to str
        Maps labels as the server returns them to labels in `labels`. An integer label
        from the server is looked up as its decimal string.
    """

    kind: Literal["http_json"] = "http_json"
    url: str
    request_template: dict[str, Any]
    label_path: str = Field(min_length=1)
    score_path: str | None = None
    labels: list[str] = Field(min_length=1)
    label_mapping: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        return check_http_url(url, field="url")

    @field_validator("label_mapping", mode="before")
    @classmethod
    def _keys_as_strings(cls, mapping: Any) -> Any:
        # YAML reads the key in "0: no_escalate" as an integer.
        if isinstance(mapping, dict):
            return {str(key): value for key, value in mapping.items()}
        return mapping

    @model_validator(mode="after")
    def _check_template_and_paths(self) -> HttpJsonConfig:
        batch_mode = _count_placeholders(self.request_template, exact=BATCH_PLACEHOLDER)
        text_mode = _count_placeholders(self.request_template, inside=TEXT_PLACEHOLDER)
        if (batch_mode, text_mode) == (0, 0) or (batch_mode and text_mode) or batch_mode > 1:
            raise ValueError(
                "request_template must contain the placeholder '{texts}' once, as a whole "
                "string value (one request per batch), or '{text}' inside string values "
                f"(one request per text); got {self.request_template!r}"
            )
        stars_expected = 1 if batch_mode else 0
        for field in ("label_path", "score_path"):
            path = getattr(self, field)
            if path is not None and path.split(".").count("*") != stars_expected:
                raise ValueError(
                    f"{field} {path!r} must contain {'one' if batch_mode else 'no'} '*' "
                    f"segment, because the request template uses "
                    f"{'{texts}' if batch_mode else '{text}'}"
                )
        unknown = sorted(set(self.label_mapping.values()) - set(self.labels))
        if unknown:
            raise ValueError(
                f"label_mapping maps to {unknown}, which are not in labels {self.labels}; "
                "add them to labels or fix the mapping"
            )
        return self

    @property
    def batch_request(self) -> bool:
        """Whether one request carries a whole batch (``"{texts}"``)."""
        return _count_placeholders(self.request_template, exact=BATCH_PLACEHOLDER) == 1


class HttpJsonModel(TextModel):
    """A model behind an HTTP JSON endpoint (see `HttpJsonConfig`)."""

    kind = "http_json"

    def __init__(self, config: HttpJsonConfig) -> None:
        self.config = config
        self.batch_size = config.batch_size
        self.max_concurrency = config.max_concurrency
        self.has_scores = config.score_path is not None
        self.labels = tuple(config.labels)
        self.id = stable_model_id(self.kind, config.model_dump(mode="json", exclude=RUNTIME_FIELDS))
        self._session = HttpSession(config, model_id=self.id)
        self._truncation_log = TruncationLog(self.id, f"{config.max_chars} characters")

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Send the texts to the endpoint and read one label (and score) per text.

        Raises
        ------
        ModelError
            When a request fails after its retries, or a response lacks a field or
            contains the wrong number of items. In per-text mode, such a failure becomes
            the ``"error"`` prediction of that text and the other texts go on.
        """
        sent, truncated = truncate_texts(texts, self.config.max_chars)
        self._truncation_log.record(sum(truncated))

        if not self.config.batch_request:
            return [self._predict_one(text, cut) for text, cut in zip(sent, truncated, strict=True)]

        try:
            raw_labels, raw_scores = self._request_batch(sent)
        except ModelError as error:
            raise ModelError(self._session.redact(str(error))) from None
        return [
            self._prediction(label, score, cut)
            for label, score, cut in zip(raw_labels, raw_scores, truncated, strict=True)
        ]

    def _request_batch(self, texts: list[str]) -> tuple[list[Any], list[Any]]:
        body = _fill_template(self.config.request_template, texts, batch=True)
        response = self._session.post_json(self.config.url, body)

        raw_labels = _extract(response, self.config.label_path, field="label_path")
        ensure_output_length(raw_labels, len(texts), model_id=self.id)
        raw_scores: list[Any] = [None] * len(texts)
        if self.config.score_path is not None:
            raw_scores = _extract(response, self.config.score_path, field="score_path")
            ensure_output_length(raw_scores, len(texts), model_id=self.id)
        return raw_labels, raw_scores

    def _predict_one(self, text: str, truncated: bool) -> TextPrediction:
        try:
            body = _fill_template(self.config.request_template, text, batch=False)
            response = self._session.post_json(self.config.url, body)
            label = _extract(response, self.config.label_path, field="label_path")
            score = None
            if self.config.score_path is not None:
                score = _extract(response, self.config.score_path, field="score_path")
        except ModelError as error:
            message = self._session.redact(str(error))
            return TextPrediction("error", message=message, truncated=truncated)
        return self._prediction(label, score, truncated)

    def _prediction(self, raw_label: Any, raw_score: Any, truncated: bool) -> TextPrediction:
        if isinstance(raw_label, bool) or not isinstance(raw_label, str | int):
            return self._unparseable(f"label {raw_label!r} is not a string or integer", truncated)
        label = self.config.label_mapping.get(str(raw_label), str(raw_label))
        if label not in self.labels:
            hint = did_you_mean(label, self.labels)
            return self._unparseable(
                f"label {label!r} is not one of {list(self.labels)}.{hint}", truncated
            )

        score = None
        if self.has_scores:
            if isinstance(raw_score, bool) or not isinstance(raw_score, int | float):
                return self._unparseable(f"score {raw_score!r} is not a number", truncated)
            score = float(raw_score)
        return TextPrediction("ok", label=label, score=score, truncated=truncated)

    def _unparseable(self, message: str, truncated: bool) -> TextPrediction:
        return TextPrediction(
            "unparseable", message=self._session.redact(message), truncated=truncated
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._session.close()


def _count_placeholders(value: Any, *, exact: str | None = None, inside: str | None = None) -> int:
    if isinstance(value, str):
        if exact is not None:
            return int(value == exact)
        return int(inside in value)
    if isinstance(value, dict):
        return sum(_count_placeholders(item, exact=exact, inside=inside) for item in value.values())
    if isinstance(value, list):
        return sum(_count_placeholders(item, exact=exact, inside=inside) for item in value)
    return 0


def _fill_template(template: Any, texts: Any, *, batch: bool) -> Any:
    """Return a copy of `template` with the placeholder replaced; the JSON stays valid."""
    if isinstance(template, str):
        if batch:
            return list(texts) if template == BATCH_PLACEHOLDER else template
        return template.replace(TEXT_PLACEHOLDER, texts)
    if isinstance(template, dict):
        return {key: _fill_template(item, texts, batch=batch) for key, item in template.items()}
    if isinstance(template, list):
        return [_fill_template(item, texts, batch=batch) for item in template]
    return copy.copy(template)


def _extract(document: Any, path: str, *, field: str) -> Any:
    """Return the value at a dotted `path`; a ``*`` segment maps over a list."""
    try:
        return _walk(document, path.split("."), [])
    except ModelError as error:
        raise ModelError(f"{field} {path!r}: {error}") from None


def _walk(value: Any, parts: list[str], seen: list[str]) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    where = ".".join(seen) or "the top level"
    if head == "*":
        if not isinstance(value, list):
            raise ModelError(
                f"Response field {where} is a {type(value).__name__}, not a list; check the "
                "'*' in the response path."
            )
        return [_walk(item, rest, [*seen, str(index)]) for index, item in enumerate(value)]
    if isinstance(value, dict):
        if head not in value:
            raise ModelError(
                f"The response has no field {head!r} at {where}; fields there: "
                f"{sorted(value)}.{did_you_mean(head, value)} Fix the response path."
            )
        return _walk(value[head], rest, [*seen, head])
    if isinstance(value, list) and head.isdigit():
        index = int(head)
        if index >= len(value):
            raise ModelError(
                f"The response list at {where} has {len(value)} items, so it has no index "
                f"{index}. Fix the response path."
            )
        return _walk(value[index], rest, [*seen, head])
    raise ModelError(
        f"The response path segment {head!r} cannot be applied at {where}, which is a "
        f"{type(value).__name__}. Fix the response path."
    )
