"""Fixtures for the mitigation tests: biased rows and a plan that audits them."""

import numpy as np
import pandas as pd
import pytest


def biased_frame(n: int = 800, seed: int = 7) -> pd.DataFrame:
    """Rows where group b has lower feature values, so a plain model approves it less."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n, p=[0.65, 0.35])
    x1 = rng.normal(size=n) + np.where(group == "b", -0.6, 0.0)
    x2 = rng.normal(size=n)
    x3 = 0.5 * x1 + rng.normal(size=n)
    approved = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * x1 + 0.8 * x2 + 0.6)))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "x3": x3, "group": group, "approved": approved})


@pytest.fixture(scope="session")
def rows() -> pd.DataFrame:
    return biased_frame()


@pytest.fixture(scope="session")
def make_rows():
    """Return the `biased_frame` factory, for tests that need other sizes or seeds."""
    return biased_frame


@pytest.fixture
def plan_dict() -> dict:
    """A plan over `biased_frame` rows with the four-fifths rule on `group`."""
    return {
        "name": "Synthetic approvals",
        "target": "approved",
        "prediction": {"column": "decision"},
        "protected": [{"name": "group", "reference": "a"}],
        "bootstrap_replicates": 200,
        "seed": 3,
        "hypotheses": [
            {
                "id": "four_fifths_group",
                "metric": "selection_rate",
                "attribute": "group",
                "comparison": "ratio",
                "operator": ">=",
                "threshold": 0.8,
            }
        ],
        "mitigation": {
            "features": ["x1", "x2", "x3"],
            "candidates": [
                "reweighing",
                "threshold_optimizer:demographic_parity",
                "reject_option:demographic_parity",
            ],
        },
    }
