"""Persistent storage: the prediction cache."""

from equilens.store._prediction_cache import CachedPrediction, PredictionCache, text_sha256

__all__ = ["CachedPrediction", "PredictionCache", "text_sha256"]
