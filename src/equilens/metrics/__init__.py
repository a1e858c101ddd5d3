"""Group metrics, their definitions and the disparities between groups."""

from equilens.metrics.definitions import ALIASES, METRICS, Metric, canonical_metric_name

__all__ = ["ALIASES", "METRICS", "Metric", "canonical_metric_name"]
