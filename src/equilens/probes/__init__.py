"""Probes of text models: minimal pairs, severity monotonicity, cross-locale consistency.

Each probe is a function of the scored rows of a text audit and returns the JSON-ready
mapping stored under its name in findings.json ``probes``. Every test a probe runs is
listed, passing ones included, with p-values adjusted across the probe's tests.

Probes of tabular models: the counterfactual flip test, causal counterfactuals, proxy
detection, SHAP attributions, the worst-subgroup search, and `run_probes`, which runs
them as an audit plan's ``probes`` section declares; and occlusion attributions of text
minimal pairs. These load on first use, because `equilens.plan` imports
`equilens.probes.spec` while it is itself loading.
"""

import importlib
from typing import Any

from equilens.probes.cross_locale import cross_locale_probe
from equilens.probes.minimal_pairs import minimal_pair_probe, pair_table
from equilens.probes.monotonicity import monotonicity_probe, severity_order

_LAZY_EXPORTS = {
    "ProbeSpec": "equilens.probes.spec",
    "align_rows": "equilens.probes.tabular",
    "causal_counterfactuals": "equilens.probes.causal",
    "find_subgroups": "equilens.subgroups.search",
    "flip_test": "equilens.probes.flip",
    "occlusion_attributions": "equilens.explain.occlusion",
    "proxy_strength": "equilens.explain.proxies",
    "quantile_map": "equilens.probes.flip",
    "run_probes": "equilens.probes.tabular",
    "shap_attributions": "equilens.explain.attributions",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_EXPORTS:
        return getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    raise AttributeError(f"module 'equilens.probes' has no attribute {name!r}")


__all__ = [
    *_LAZY_EXPORTS,
    "cross_locale_probe",
    "minimal_pair_probe",
    "monotonicity_probe",
    "pair_table",
    "severity_order",
]
