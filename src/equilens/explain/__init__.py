"""Explaining a model's disparities: proxy detection, SHAP attributions and occlusion."""

from equilens.explain.attributions import shap_attributions
from equilens.explain.occlusion import occlusion_attributions
from equilens.explain.proxies import proxy_strength

__all__ = ["occlusion_attributions", "proxy_strength", "shap_attributions"]
