"""Explaining a tabular model's disparities: proxy detection and SHAP attributions."""

from equilens.explain.attributions import shap_attributions
from equilens.explain.proxies import proxy_strength

__all__ = ["proxy_strength", "shap_attributions"]
