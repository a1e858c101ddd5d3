"""Shared cases of the review tests: a small text plan and simulated reviewers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from equilens.text.demo import VADER_RULE

TEXT_PLAN = {
    "kind": "text",
    "name": "review text fixture",
    "data": {"testbed": "escalation", "locales": ["en-US", "fi-FI"]},
    "runs": [
        {
            "name": "vader-text",
            "model": {"kind": "vader", "rule": VADER_RULE},
            "locales": ["en-US"],
        },
        {
            "name": "vader-gloss",
            "model": {"kind": "vader", "rule": VADER_RULE},
            "input": "english_gloss",
            "locales": ["fi-FI"],
        },
    ],
    "positive_label": "escalate",
    "attributes": ["locale", "severity"],
    "intersections": [],
    "bootstrap_replicates": 100,
    "min_group_size": 20,
    "hypotheses": [
        {
            "id": "locale_recall",
            "metric": "true_positive_rate",
            "attribute": ["run", "locale"],
            "comparison": "difference",
            "threshold": 0.1,
        }
    ],
    "probes": {
        "minimal_pairs": False,
        "monotonicity": False,
        "cross_locale": False,
        "multiclass": False,
    },
}


def simulate_labels(
    items: pd.DataFrame,
    annotators: Mapping[str, Mapping[str, str]],
    *,
    accuracy: float = 0.9,
    flip: Mapping[str, float] | None = None,
    labels: Sequence[str] = ("escalate", "no_escalate"),
    positive: str = "escalate",
    seed: int = 0,
) -> pd.DataFrame:
    """Return one label per annotator and item: the gold label with probability `accuracy`.

    `annotators` maps each annotator id to its attribute columns. `flip` maps an
    attribute value (e.g. a locale) to the probability that such an annotator turns a
    positive label into the other one: a group that systematically rates lower.
    """
    rng = np.random.default_rng(seed)
    other = {labels[0]: labels[1], labels[1]: labels[0]}
    rows = []
    for item in items.itertuples(index=False):
        for annotator, attributes in annotators.items():
            label = item.gold_label if rng.random() < accuracy else other[item.gold_label]
            for value, probability in (flip or {}).items():
                flips = value in attributes.values() and label == positive
                if flips and rng.random() < probability:
                    label = other[positive]
            rows.append({"item_id": item.item_id, "annotator_id": annotator, "label": label})
            rows[-1].update(attributes)
    return pd.DataFrame(rows)
