"""Text model adapters and their runner.

`predict_texts` runs a model over many texts with a `PredictionCache`. Every prediction
is stored, so a repeated audit calls the model only for texts without a stored prediction.
"""

from equilens.models.text._base import TextModel, TextPrediction
from equilens.models.text._runner import TextCounts, TextPredictions, predict_texts

__all__ = ["TextCounts", "TextModel", "TextPrediction", "TextPredictions", "predict_texts"]
