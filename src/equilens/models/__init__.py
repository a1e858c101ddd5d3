"""Model adapters: every model an audit can query implements the `Predictor` protocol."""

from equilens.models.base import Predictor, ensure_output_length
from equilens.models.text import (
    TextModelConfig,
    TextPredictions,
    build_text_model,
    parse_text_model_config,
    predict_texts,
)

__all__ = [
    "Predictor",
    "TextModelConfig",
    "TextPredictions",
    "build_text_model",
    "ensure_output_length",
    "parse_text_model_config",
    "predict_texts",
]
