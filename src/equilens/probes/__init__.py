"""Probes of text models: minimal pairs, severity monotonicity, cross-locale consistency.

Each probe is a function of the scored rows of a text audit and returns the JSON-ready
mapping stored under its name in findings.json ``probes``. Every test a probe runs is
listed, passing ones included, with p-values adjusted across the probe's tests.
"""

from equilens.probes.cross_locale import cross_locale_probe
from equilens.probes.minimal_pairs import minimal_pair_probe, pair_table
from equilens.probes.monotonicity import monotonicity_probe, severity_order

__all__ = [
    "cross_locale_probe",
    "minimal_pair_probe",
    "monotonicity_probe",
    "pair_table",
    "severity_order",
]
