"""Model adapters: every model an audit can query implements the `Predictor` protocol."""

from equilens.models.base import Predictor, ensure_output_length

__all__ = ["Predictor", "ensure_output_length"]
